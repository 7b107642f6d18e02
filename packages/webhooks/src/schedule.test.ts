import { describe, expect, it } from 'vitest'
import { nextAttemptDelayMs } from './schedule.js'

const HOUR_MS = 60 * 60 * 1000

describe('nextAttemptDelayMs', () => {
  it.each([
    [1, 5_000],
    [2, 10_000],
    [3, 20_000],
    [10, 2_560_000],
    [11, HOUR_MS],
    [500, HOUR_MS],
    [10_000, HOUR_MS],
  ])('after %i failures waits at most %i ms (5 s doubling, capped at 1 h)', (attempt, ceiling) => {
    expect(nextAttemptDelayMs(attempt, () => 1)).toBe(ceiling)
  })

  it('spreads the delay uniformly over the whole window (full jitter)', () => {
    expect(nextAttemptDelayMs(3, () => 0)).toBe(0)
    expect(nextAttemptDelayMs(3, () => 0.25)).toBe(5_000)
    expect(nextAttemptDelayMs(3, () => 0.5)).toBe(10_000)
    expect(nextAttemptDelayMs(3, () => 0.999)).toBe(19_980)
  })

  it('stays within [0, ceiling] for any random draw and attempt', () => {
    let seed = 42
    const lcg = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    for (let attempt = 0; attempt < 200; attempt++) {
      const delay = nextAttemptDelayMs(attempt, lcg)
      expect(Number.isInteger(delay)).toBe(true)
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(Math.min(HOUR_MS, 5_000 * 2 ** Math.max(0, attempt - 1)))
    }
  })

  it('treats a first attempt numbered 0 like 1 and clamps out-of-range random values', () => {
    expect(nextAttemptDelayMs(0, () => 1)).toBe(5_000)
    expect(nextAttemptDelayMs(2, () => 7)).toBe(10_000)
    expect(nextAttemptDelayMs(2, () => -1)).toBe(0)
  })

  it('follows custom base, factor and cap', () => {
    const options = { baseMs: 100, factor: 3, capMs: 1_000 }
    expect([1, 2, 3, 4].map((n) => nextAttemptDelayMs(n, () => 1, options))).toEqual([100, 300, 900, 1_000])
  })
})
