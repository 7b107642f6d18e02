// Seeded synthetic churn data for the tests: each generator knows its true probabilities.
import { createRng, type Rng } from './random.js'
import type { TrainingSet } from './training-set.js'

export interface SyntheticSet {
  set: TrainingSet
  /** The generating P(churn) of each row. */
  truth: Float64Array
}

function normal(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
}

function build(
  featureNames: readonly string[],
  n: number,
  seed: number,
  draw: (rng: Rng, row: Float64Array) => number,
  groupSize = 1,
): SyntheticSet {
  const rng = createRng(seed)
  const d = featureNames.length
  const rows = new Float64Array(n * d)
  const labels = new Uint8Array(n)
  const truth = new Float64Array(n)
  const groups = new Int32Array(n)
  const row = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    const p = draw(rng, row)
    rows.set(row, i * d)
    truth[i] = p
    labels[i] = rng.next() < p ? 1 : 0
    groups[i] = Math.floor(i / groupSize)
  }
  return { set: { featureNames, rows, labels, n, d, groups }, truth }
}

export const LINEAR_FEATURES = [
  'days_since_last_activity',
  'events_30d',
  'failed_payments_90d',
  'seat_utilization_30d',
  'mrr',
  'tenure_days',
] as const

/**
 * A logistic process on the model's own scale: silence (log1p days) and failed payments raise
 * risk, usage (log1p events) and seat utilisation lower it; mrr and tenure are noise.
 */
export function linearChurn(n: number, seed: number): SyntheticSet {
  return build(LINEAR_FEATURES, n, seed, (rng, row) => {
    const daysSince = Math.round(-12 * Math.log(Math.max(rng.next(), 1e-12)))
    const events = Math.round(Math.exp(3 + 1.5 * normal(rng)))
    const failed = rng.next() < 0.1 ? 1 + rng.int(3) : 0
    const utilization = rng.next()
    row[0] = daysSince
    row[1] = events
    row[2] = failed
    row[3] = utilization
    row[4] = Math.round(Math.exp(8 + normal(rng)))
    row[5] = rng.int(1500)
    const logit = -2 + 1.1 * Math.log1p(daysSince) - 0.45 * Math.log1p(events) + 0.9 * failed - 1.2 * utilization
    return 1 / (1 + Math.exp(-logit))
  }, 4)
}

export const XOR_FEATURES = ['seat_utilization_30d', 'activity_trend_30d', 'mrr', 'tenure_days'] as const

/** Risk is high exactly when one, not both, of two thresholds is crossed: invisible to a linear model. */
export function xorChurn(n: number, seed: number): SyntheticSet {
  return build(XOR_FEATURES, n, seed, (rng, row) => {
    const a = rng.next()
    const b = rng.next() * 2 - 1
    row[0] = a
    row[1] = b
    row[2] = Math.round(Math.exp(8 + normal(rng)))
    row[3] = rng.int(1500)
    return a > 0.5 !== b > 0 ? 0.6 : 0.08
  })
}

/** Labels independent of the features. */
export function noiseChurn(n: number, seed: number): SyntheticSet {
  return build(XOR_FEATURES, n, seed, (rng, row) => {
    row[0] = rng.next()
    row[1] = rng.next() * 2 - 1
    row[2] = Math.round(Math.exp(8 + normal(rng)))
    row[3] = rng.int(1500)
    return 0.2
  })
}

export const THRESHOLD_FEATURES = ['days_since_last_activity', 'events_30d', 'seats', 'mrr'] as const

/** Silence past 30 days is what drives churn; the other features barely matter. */
export function silenceChurn(n: number, seed: number): SyntheticSet {
  return build(THRESHOLD_FEATURES, n, seed, (rng, row) => {
    const daysSince = rng.int(60)
    row[0] = daysSince
    row[1] = Math.round(Math.exp(4 + normal(rng)))
    row[2] = 1 + rng.int(20)
    row[3] = Math.round(Math.exp(8 + normal(rng)))
    return daysSince > 30 ? 0.55 : 0.05 + 0.02 * (row[2] > 10 ? 1 : 0)
  })
}
