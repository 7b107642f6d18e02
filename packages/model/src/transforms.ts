import { describeFeature } from '@churnwatch/features'
import type { TrainingSet } from './training-set.js'

/** How one raw feature becomes a model input: optional signed log1p, then (x - mean) / std. */
export interface FeatureTransform {
  feature: string
  log1p: boolean
  /** Mean and standard deviation of the (log1p'd) value over the training rows. */
  mean: number
  std: number
}

/** Fits the transforms on the given training rows only, so validation rows never shape them. */
export function fitTransforms(set: TrainingSet, rowIndices: Int32Array): FeatureTransform[] {
  const { d, rows } = set
  const m = rowIndices.length
  return set.featureNames.map((feature, f) => {
    const log1p = describeFeature(feature)?.heavyTailed === true
    let sum = 0
    for (let k = 0; k < m; k++) sum += prepare(rows[(rowIndices[k] as number) * d + f] as number, log1p)
    const mean = m > 0 ? sum / m : 0
    let squares = 0
    for (let k = 0; k < m; k++) {
      const delta = prepare(rows[(rowIndices[k] as number) * d + f] as number, log1p) - mean
      squares += delta * delta
    }
    const std = m > 0 ? Math.sqrt(squares / m) : 0
    // A constant column carries no signal; std 1 keeps it at 0 instead of dividing by zero.
    return { feature, log1p, mean, std: std > 1e-12 ? std : 1 }
  })
}

/** The model input for one raw value; NaN (missing) maps to 0, the training mean. */
export function transformValue(transform: FeatureTransform, x: number): number {
  if (Number.isNaN(x)) return 0
  return (prepare(x, transform.log1p) - transform.mean) / transform.std
}

// Counts are never negative, but a signed log keeps the transform monotone and finite if one is.
function prepare(x: number, log1p: boolean): number {
  return log1p ? Math.sign(x) * Math.log1p(Math.abs(x)) : x
}

/** The median of each feature over the given rows: the "typical" value explanations compare with. */
export function featureMedians(set: TrainingSet, rowIndices: Int32Array): Float64Array {
  const { d, rows } = set
  const m = rowIndices.length
  const medians = new Float64Array(d)
  const column = new Float64Array(m)
  for (let f = 0; f < d; f++) {
    for (let k = 0; k < m; k++) column[k] = rows[(rowIndices[k] as number) * d + f] as number
    column.sort()
    const mid = m >> 1
    medians[f] = m === 0 ? 0 : m % 2 === 1 ? (column[mid] as number) : ((column[mid - 1] as number) + (column[mid] as number)) / 2
  }
  return medians
}
