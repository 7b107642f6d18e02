import { MODEL_ERROR_CODES, modelError } from './errors.js'
import { createRng, shuffleInPlace } from './random.js'
import type { TrainingSet } from './training-set.js'

/** Row indices (ascending) of each part of a training set. */
export interface Split {
  train: Int32Array
  /** Early stopping and the reported evaluation. */
  validation: Int32Array
  /** Platt scaling; empty when calibrationFraction is 0 (then validation is used). */
  calibration: Int32Array
}

/** Splits by group (or by row without groups) with a seeded shuffle; fractions count groups. */
export function splitTrainingSet(
  set: TrainingSet,
  validationFraction: number,
  calibrationFraction: number,
  seed: number,
): Split {
  const ids = uniqueGroups(set)
  const order = Int32Array.from({ length: ids.size }, (_, k) => k)
  shuffleInPlace(order, createRng(seed))
  const nValidation = Math.round(ids.size * validationFraction)
  const nCalibration = Math.round(ids.size * calibrationFraction)
  if (nValidation < 1 || ids.size - nValidation - nCalibration < 1 || (calibrationFraction > 0 && nCalibration < 1)) {
    throw modelError(
      MODEL_ERROR_CODES.invalidOptions,
      `cannot split ${ids.size} groups into train, validation (${validationFraction}) and calibration (${calibrationFraction})`,
    )
  }
  // part[g]: 0 train, 1 validation, 2 calibration, by position in the shuffled group order.
  const part = new Uint8Array(ids.size)
  for (let k = 0; k < order.length; k++) {
    part[order[k] as number] = k < nValidation ? 1 : k < nValidation + nCalibration ? 2 : 0
  }
  const counts = [0, 0, 0]
  const rowPart = new Uint8Array(set.n)
  for (let i = 0; i < set.n; i++) {
    const group = set.groups === undefined ? i : (ids.get(set.groups[i] as number) as number)
    const p = part[group] as number
    rowPart[i] = p
    counts[p] = (counts[p] as number) + 1
  }
  const parts = counts.map((c) => new Int32Array(c))
  const filled = [0, 0, 0]
  for (let i = 0; i < set.n; i++) {
    const p = rowPart[i] as number
    const target = parts[p] as Int32Array
    target[filled[p] as number] = i
    filled[p] = (filled[p] as number) + 1
  }
  return { train: parts[0] as Int32Array, validation: parts[1] as Int32Array, calibration: parts[2] as Int32Array }
}

// Group id -> dense index, ordered by id so the split does not depend on row order.
function uniqueGroups(set: TrainingSet): Map<number, number> {
  const dense = new Map<number, number>()
  if (set.groups === undefined) {
    for (let i = 0; i < set.n; i++) dense.set(i, i)
    return dense
  }
  const sorted = Int32Array.from(new Set(set.groups)).sort()
  for (let k = 0; k < sorted.length; k++) dense.set(sorted[k] as number, k)
  return dense
}
