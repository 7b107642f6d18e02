import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { GbdtModel, LogisticModel } from './model.js'
import { serializeModel } from './serialize.js'
import { splitTrainingSet } from './split.js'
import { linearChurn, xorChurn } from './synthetic.fixture.js'
import { useCpuBackend } from './tf-backend.fixture.js'
import { trainModel, type TrainResult } from './train.js'
import type { TrainingSet } from './training-set.js'

// The rows a default split (validation 0.2, calibration 0.15) gives train + validation, ascending.
function refitRows(set: TrainingSet, seed: number): Int32Array {
  const { train, validation } = splitTrainingSet(set, 0.2, 0.15, seed)
  return Int32Array.from([...train, ...validation]).sort()
}

function positiveShare(set: TrainingSet, rows: Int32Array): number {
  let positives = 0
  for (const row of rows) positives += set.labels[row] as number
  return positives / rows.length
}

describe('refit after early stopping', () => {
  const set = xorChurn(8000, 11).set
  let refitted: TrainResult
  let stopped: TrainResult

  beforeAll(async () => {
    await useCpuBackend()
    refitted = await trainModel(set, { kind: 'gbdt', seed: 4 })
    stopped = await trainModel(set, { kind: 'gbdt', seed: 4, refit: false })
  })

  it('boosts the round count early stopping chose on train + validation rows', () => {
    const { summary } = refitted.trainingLog
    const rows = refitRows(set, 4)
    expect(summary.refit).toEqual({ rows: summary.trainRows + summary.validationRows, iterations: summary.bestIteration })
    expect(summary.refit?.rows).toBe(rows.length)
    expect(summary.bestIteration).toBe(stopped.trainingLog.summary.bestIteration)
    const model = refitted.model as GbdtModel
    expect(model.trees).toHaveLength(summary.bestIteration)
    // Unweighted, the base score is the log-odds of the rows it was fitted on: train + validation.
    const p = positiveShare(set, rows)
    expect(model.baseScore).toBeCloseTo(Math.log(p / (1 - p)), 12)
    expect((stopped.model as GbdtModel).baseScore).not.toBeCloseTo(model.baseScore, 6)
    expect(serializeModel(model)).not.toEqual(serializeModel(stopped.model))
  })

  it('reports the validation metrics of the early-stopped model, measured before the refit', () => {
    expect(refitted.validation).toEqual(stopped.validation)
    expect(refitted.model.metrics).toEqual(stopped.validation)
    expect(stopped.trainingLog.summary.refit).toBeNull()
  })

  it('keeps the calibration split out of the refit and fits Platt scaling on it', () => {
    const { summary } = refitted.trainingLog
    expect(summary.calibratedOn).toBe('calibration')
    expect(summary.refit?.rows).toBe(set.n - summary.calibrationRows)
    expect(refitted.model.calibration).not.toEqual(stopped.model.calibration)
  })

  it('trains the same bytes from the same seed', async () => {
    const again = await trainModel(set, { kind: 'gbdt', seed: 4 })
    expect(serializeModel(again.model)).toEqual(serializeModel(refitted.model))
  })

  it('skips the refit when calibration would reuse the validation split', async () => {
    const shared = await trainModel(set, { kind: 'gbdt', seed: 4, calibrationFraction: 0, rounds: 40 })
    const sharedNoRefit = await trainModel(set, { kind: 'gbdt', seed: 4, calibrationFraction: 0, rounds: 40, refit: false })
    expect(shared.trainingLog.summary.refit).toBeNull()
    expect((shared.model as GbdtModel).trees).toEqual((sharedNoRefit.model as GbdtModel).trees)
    expect(shared.model.calibration).toEqual(sharedNoRefit.model.calibration)
  })

  it('refits a logistic model for the chosen epochs, with transforms from train + validation rows', async () => {
    const linear = linearChurn(6000, 3).set
    const before = tf.memory().numTensors
    const logistic = await trainModel(linear, { kind: 'logistic', seed: 2, epochs: 60 })
    expect(tf.memory().numTensors).toBe(before)
    const plain = await trainModel(linear, { kind: 'logistic', seed: 2, epochs: 60, refit: false })
    const { summary } = logistic.trainingLog
    expect(summary.refit).toEqual({ rows: refitRows(linear, 2).length, iterations: summary.bestIteration })
    const model = logistic.model as LogisticModel
    // seat_utilization_30d (column 3) is not log-transformed: its mean is the plain mean over the refit rows.
    const rows = refitRows(linear, 2)
    let sum = 0
    for (const row of rows) sum += linear.rows[row * linear.d + 3] as number
    expect(model.transforms[3]?.mean).toBeCloseTo(sum / rows.length, 9)
    expect(Array.from(model.weights)).not.toEqual(Array.from((plain.model as LogisticModel).weights))
    expect(logistic.validation).toEqual(plain.validation)
  })
})
