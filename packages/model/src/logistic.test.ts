import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { evaluate, rocAuc } from './evaluate.js'
import { explain } from './explain.js'
import { predict } from './predict.js'
import { serializeModel } from './serialize.js'
import { linearChurn } from './synthetic.fixture.js'
import { useCpuBackend } from './tf-backend.fixture.js'
import { trainModel, type TrainResult } from './train.js'

describe('logistic regression', () => {
  const training = linearChurn(24_000, 1)
  const holdout = linearChurn(20_000, 2)
  let result: TrainResult
  let tensorsAfterTraining = 0
  let tensorsBeforeTraining = 0

  beforeAll(async () => {
    await useCpuBackend()
    tensorsBeforeTraining = tf.memory().numTensors
    result = await trainModel(training.set, { kind: 'logistic', seed: 5 })
    tensorsAfterTraining = tf.memory().numTensors
  })

  it('ranks a holdout almost as well as the true probabilities do (the Bayes AUC)', () => {
    const auc = rocAuc(holdout.set.labels, predict(result.model, holdout.set.rows)) ?? 0
    const bayes = rocAuc(holdout.set.labels, holdout.truth) ?? 1
    expect(auc).toBeGreaterThan(bayes - 0.01)
  })

  it('learns the signs of the generating process on the standardised scale', () => {
    const [daysSince, events, failed, utilization, mrr, tenure] = Array.from(result.model.kind === 'logistic' ? result.model.weights : [])
    expect(daysSince).toBeGreaterThan(0.5)
    expect(events).toBeLessThan(-0.3)
    expect(failed).toBeGreaterThan(0.2)
    expect(utilization).toBeLessThan(-0.2)
    expect(Math.abs(mrr ?? 1)).toBeLessThan(0.05)
    expect(Math.abs(tenure ?? 1)).toBeLessThan(0.05)
  })

  it('predicts calibrated probabilities despite balanced class weights', () => {
    const probs = predict(result.model, holdout.set.rows)
    const report = evaluate(holdout.set.labels, probs)
    const meanPredicted = probs.reduce((a, b) => a + b, 0) / probs.length
    expect(result.trainingLog.classWeights[1]).toBeGreaterThan(1.5)
    expect(Math.abs(meanPredicted - (report.baseRate ?? 0))).toBeLessThan(0.02)
    for (const bin of report.calibration.filter((b) => b.count >= 500)) {
      expect(Math.abs((bin.meanPredicted ?? 0) - (bin.observedRate ?? 1))).toBeLessThan(0.06)
    }
  })

  it('stops early, keeps the best epoch and reports the validation split', () => {
    const { summary, history, stoppedEarly } = result.trainingLog
    expect(summary.bestIteration).toBeGreaterThan(0)
    expect(summary.bestIteration).toBeLessThanOrEqual(summary.iterations)
    expect(history.at(-1)?.iteration).toBe(summary.iterations)
    expect(stoppedEarly).toBe(summary.iterations < 400)
    expect(result.validation.n).toBe(summary.validationRows)
    expect(result.model.metrics).toEqual(result.validation)
    expect(summary.calibratedOn).toBe('calibration')
  })

  it('names silence as the top driver for a long-silent customer', () => {
    // Usual values for everything but 90 days without usage.
    const [drivers] = explain(result.model, [[90, 20, 0, 0.5, 3000, 700]])
    expect(drivers?.[0]).toMatchObject({ feature: 'days_since_last_activity', value: 90 })
    expect(drivers?.[0]?.sentence).toMatch(/^No product usage for 90 days, against \d+ typically$/)
    for (const driver of drivers ?? []) expect(driver.contribution).toBeGreaterThan(0)
  })

  it('leaves no tensors behind', () => {
    expect(tensorsAfterTraining).toBe(tensorsBeforeTraining)
  })

  it('trains the same bytes from the same seed', async () => {
    const small = linearChurn(3000, 9).set
    const first = await trainModel(small, { kind: 'logistic', seed: 11, epochs: 60 })
    const second = await trainModel(small, { kind: 'logistic', seed: 11, epochs: 60 })
    expect(serializeModel(second.model)).toEqual(serializeModel(first.model))
  })
})
