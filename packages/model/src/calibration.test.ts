import { describe, expect, it } from 'vitest'
import { fitPlatt } from './calibration.js'
import { createRng } from './random.js'

describe('fitPlatt', () => {
  it('recovers the slope and intercept of a logistic relation between score and outcome', () => {
    const rng = createRng(3)
    const n = 40_000
    const scores = new Float64Array(n)
    const labels = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      scores[i] = rng.next() * 6 - 3
      labels[i] = rng.next() < 1 / (1 + Math.exp(-(2 * (scores[i] as number) - 1))) ? 1 : 0
    }
    const { slope, intercept } = fitPlatt(scores, labels)
    expect(slope).toBeCloseTo(2, 1)
    expect(intercept).toBeCloseTo(-1, 1)
  })

  it('shifts scores that were trained with class weights back to the true base rate', () => {
    // Scores 0 for everyone (a balanced model's view), 10% churn: the fit must predict ~10%.
    const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0))
    const { slope, intercept } = fitPlatt(new Float64Array(1000), labels)
    // Platt's smoothed targets: (100 + 1) / (100 + 2) and 1 / (900 + 2) average to ~0.1002.
    expect(1 / (1 + Math.exp(-(slope * 0 + intercept)))).toBeCloseTo(0.1, 2)
  })

  it('is the identity without rows', () => {
    expect(fitPlatt([], [])).toEqual({ slope: 1, intercept: 0 })
  })
})
