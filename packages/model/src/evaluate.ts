import { MODEL_ERROR_CODES, modelError } from './errors.js'

/** One reliability bin: scores in [lower, upper) (the last bin includes 1). */
export type CalibrationBin = {
  lower: number
  upper: number
  count: number
  meanPredicted: number | null
  observedRate: number | null
}

/**
 * Holdout metrics of churn probabilities. A metric is null when it is undefined for the data
 * (AUCs and lift need both classes; everything needs at least one row), which keeps the report JSON.
 */
export type EvaluationReport = {
  n: number
  positives: number
  baseRate: number | null
  rocAuc: number | null
  /** Average precision. */
  prAuc: number | null
  brier: number | null
  logLoss: number | null
  /** Churn rate among rows scored at or above the top-decile threshold, over the overall churn rate. */
  topDecileLift: number | null
  topDecilePrecision: number | null
  /** The score of the ceil(n/10)-th highest row; ties with it count as top decile. */
  topDecileThreshold: number | null
  calibration: CalibrationBin[]
}

/** Every metric of the report for these labels (0/1) and predicted probabilities. */
export function evaluate(labels: ArrayLike<number>, probs: ArrayLike<number>): EvaluationReport {
  check(labels, probs)
  const n = labels.length
  let positives = 0
  for (let i = 0; i < n; i++) positives += labels[i] as number
  const top = topDecile(labels, probs)
  return {
    n,
    positives,
    baseRate: n > 0 ? positives / n : null,
    rocAuc: rocAuc(labels, probs),
    prAuc: averagePrecision(labels, probs),
    brier: brierScore(labels, probs),
    logLoss: logLoss(labels, probs),
    topDecileLift: top.lift,
    topDecilePrecision: top.precision,
    topDecileThreshold: top.threshold,
    calibration: calibrationTable(labels, probs),
  }
}

/** ROC AUC as the Mann-Whitney statistic, tied scores sharing their average rank; null without both classes. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  check(labels, scores)
  const n = labels.length
  const order = sortedIndices(scores, 'ascending')
  let positives = 0
  let positiveRankSum = 0
  for (let start = 0; start < n; ) {
    let end = start
    while (end < n && scores[order[end] as number] === scores[order[start] as number]) end++
    const averageRank = (start + 1 + end) / 2
    for (let k = start; k < end; k++) {
      if (labels[order[k] as number] === 1) {
        positives++
        positiveRankSum += averageRank
      }
    }
    start = end
  }
  const negatives = n - positives
  if (positives === 0 || negatives === 0) return null
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

/** Average precision: sum over distinct thresholds of (recall gain) x precision; null without positives. */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  check(labels, scores)
  const n = labels.length
  let positives = 0
  for (let i = 0; i < n; i++) positives += labels[i] as number
  if (positives === 0) return null
  const order = sortedIndices(scores, 'descending')
  let truePositives = 0
  let previousRecall = 0
  let ap = 0
  for (let start = 0; start < n; ) {
    let end = start
    while (end < n && scores[order[end] as number] === scores[order[start] as number]) {
      truePositives += labels[order[end] as number] as number
      end++
    }
    const recall = truePositives / positives
    ap += (recall - previousRecall) * (truePositives / end)
    previousRecall = recall
    start = end
  }
  return ap
}

/** Mean squared error of the probabilities; null for no rows. */
export function brierScore(labels: ArrayLike<number>, probs: ArrayLike<number>): number | null {
  check(labels, probs)
  if (labels.length === 0) return null
  let total = 0
  for (let i = 0; i < labels.length; i++) total += ((probs[i] as number) - (labels[i] as number)) ** 2
  return total / labels.length
}

/** Mean negative log-likelihood, the probability of each observed outcome clipped to at least 1e-15; null for no rows. */
export function logLoss(labels: ArrayLike<number>, probs: ArrayLike<number>): number | null {
  check(labels, probs)
  if (labels.length === 0) return null
  let total = 0
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1, Math.max(0, probs[i] as number))
    // Clip the probability of the observed outcome, so both sides floor at exactly 1e-15.
    total -= Math.log(Math.max(1e-15, labels[i] === 1 ? p : 1 - p))
  }
  return total / labels.length
}

/**
 * The top decile by score: threshold = the ceil(n/10)-th highest score, the decile = every row
 * at or above it (ties are not split arbitrarily), precision = its churn rate, lift = precision / base rate.
 */
export function topDecile(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): { threshold: number | null; count: number; precision: number | null; lift: number | null } {
  check(labels, scores)
  const n = labels.length
  if (n === 0) return { threshold: null, count: 0, precision: null, lift: null }
  const order = sortedIndices(scores, 'descending')
  const threshold = scores[order[Math.ceil(n / 10) - 1] as number] as number
  let count = 0
  let hits = 0
  let positives = 0
  for (let i = 0; i < n; i++) {
    positives += labels[i] as number
    if ((scores[i] as number) >= threshold) {
      count++
      hits += labels[i] as number
    }
  }
  const precision = hits / count
  return { threshold, count, precision, lift: positives > 0 ? precision / (positives / n) : null }
}

/**
 * A reliability table of `bins` equal-width probability bins. Equal width (not equal count) so
 * that tables of different models and periods line up bin for bin.
 */
export function calibrationTable(labels: ArrayLike<number>, probs: ArrayLike<number>, bins = 10): CalibrationBin[] {
  check(labels, probs)
  const counts = new Float64Array(bins)
  const predicted = new Float64Array(bins)
  const observed = new Float64Array(bins)
  for (let i = 0; i < labels.length; i++) {
    const p = probs[i] as number
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)))
    counts[b] = (counts[b] as number) + 1
    predicted[b] = (predicted[b] as number) + p
    observed[b] = (observed[b] as number) + (labels[i] as number)
  }
  return Array.from({ length: bins }, (_, b) => {
    const count = counts[b] as number
    return {
      lower: b / bins,
      upper: (b + 1) / bins,
      count,
      meanPredicted: count > 0 ? (predicted[b] as number) / count : null,
      observedRate: count > 0 ? (observed[b] as number) / count : null,
    }
  })
}

function sortedIndices(scores: ArrayLike<number>, direction: 'ascending' | 'descending'): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i)
  const sign = direction === 'ascending' ? 1 : -1
  // Index as tie-breaker: a stable, deterministic order.
  return order.sort((i, j) => sign * ((scores[i] as number) - (scores[j] as number)) || i - j)
}

function check(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw modelError(MODEL_ERROR_CODES.invalidInput, `${labels.length} labels for ${scores.length} scores`)
  }
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]
    if (label !== 0 && label !== 1) throw modelError(MODEL_ERROR_CODES.invalidInput, `label ${i} is not 0 or 1`)
    if (!Number.isFinite(scores[i])) throw modelError(MODEL_ERROR_CODES.invalidInput, `score ${i} is not finite`)
  }
}
