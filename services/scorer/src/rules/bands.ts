import type { RiskBand } from '@churnwatch/contract'

/**
 * Whether a new score is worth publishing and keeping in history: a band change, a new model
 * version, or a probability move of at least `minDelta` since the last *published* score (so
 * slow drifts add up instead of hiding below the delta).
 */
export function isMaterialChange(
  previous: { publishedProbability: number; publishedBand: RiskBand; modelVersion: string } | undefined,
  next: { probability: number; band: RiskBand; modelVersion: string },
  minDelta: number,
): boolean {
  if (!previous) return true
  return (
    previous.publishedBand !== next.band ||
    previous.modelVersion !== next.modelVersion ||
    // The epsilon keeps 0.35 - 0.30 (0.0499999...) a move of 0.05.
    Math.abs(previous.publishedProbability - next.probability) >= minDelta - 1e-9
  )
}
