import type { PlattScaling } from './model.js'

/**
 * Fits Platt scaling p = sigmoid(slope * score + intercept) to raw scores by Newton's method with
 * backtracking (Lin, Lin & Weng 2007), on Platt's smoothed targets (n+ + 1)/(n+ + 2) and
 * 1/(n- + 2), which keep a small calibration set from producing 0 or 1. No rows: the identity.
 */
export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>): PlattScaling {
  const n = scores.length
  if (n === 0) return { slope: 1, intercept: 0 }
  let positives = 0
  for (let i = 0; i < n; i++) positives += labels[i] as number
  const negatives = n - positives
  const hiTarget = (positives + 1) / (positives + 2)
  const loTarget = 1 / (negatives + 2)
  const target = (i: number): number => (labels[i] === 1 ? hiTarget : loTarget)

  const loss = (a: number, b: number): number => {
    let total = 0
    for (let i = 0; i < n; i++) {
      const z = a * (scores[i] as number) + b
      const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))
      total += softplus - target(i) * z
    }
    return total
  }

  let a = 0
  let b = Math.log((positives + 1) / (negatives + 1))
  let value = loss(a, b)
  for (let iteration = 0; iteration < 100; iteration++) {
    let gA = 0
    let gB = 0
    // A tiny ridge keeps the Hessian invertible when all scores are equal.
    let hAA = 1e-12
    let hAB = 0
    let hBB = 1e-12
    for (let i = 0; i < n; i++) {
      const s = scores[i] as number
      const p = 1 / (1 + Math.exp(-(a * s + b)))
      const r = p - target(i)
      const w = p * (1 - p)
      gA += r * s
      gB += r
      hAA += w * s * s
      hAB += w * s
      hBB += w
    }
    if (Math.abs(gA) < 1e-9 * n && Math.abs(gB) < 1e-9 * n) break
    const det = hAA * hBB - hAB * hAB
    const dA = -(hBB * gA - hAB * gB) / det
    const dB = -(hAA * gB - hAB * gA) / det
    const slope = gA * dA + gB * dB
    let step = 1
    while (step >= 1e-10) {
      const candidate = loss(a + step * dA, b + step * dB)
      if (candidate < value + 1e-4 * step * slope) {
        a += step * dA
        b += step * dB
        value = candidate
        break
      }
      step /= 2
    }
    if (step < 1e-10) break
  }
  return { slope: a, intercept: b }
}
