import type { RiskBand } from '@churnwatch/contract'

/** Band thresholds chosen from a model's holdout scores. */
export interface BandThresholds {
  high: number
  medium: number
  rearm: number
}

/**
 * Thresholds from holdout probabilities: `high` is the top-decile threshold (where precision at
 * the top decile is measured), `medium` the top-30% threshold, and an open high-risk alert
 * re-arms only below the midpoint of the two, so scores hovering at `high` do not flap.
 */
export function chooseBandThresholds(probabilities: ArrayLike<number>): BandThresholds {
  const sorted = Float64Array.from(probabilities).sort().reverse()
  if (sorted.length === 0) return { high: 0.5, medium: 0.2, rearm: 0.35 }
  const at = (share: number) => sorted[Math.max(0, Math.ceil(sorted.length * share) - 1)] ?? 0
  const high = round(at(0.1))
  const medium = round(Math.min(at(0.3), high))
  return { high, medium, rearm: round((high + medium) / 2) }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6
}

/** The band of a probability. */
export function bandOf(probability: number, t: BandThresholds): RiskBand {
  return probability >= t.high ? 'high' : probability >= t.medium ? 'medium' : 'low'
}
