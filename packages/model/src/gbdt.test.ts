import { beforeAll, describe, expect, it } from 'vitest'
import { rocAuc } from './evaluate.js'
import { explain } from './explain.js'
import { binRows, fitBinning } from './gbdt.js'
import { predict, rawScores, scoreContributions } from './predict.js'
import { serializeModel } from './serialize.js'
import { noiseChurn, silenceChurn, xorChurn } from './synthetic.fixture.js'
import { useCpuBackend } from './tf-backend.fixture.js'
import { trainModel, type TrainResult } from './train.js'
import { toTrainingSet } from './training-set.js'

describe('quantile binning', () => {
  it('gives each distinct value its own bin when there are few, splitting at midpoints', () => {
    const set = toTrainingSet(['x'], [[0], [0], [1], [3], [3]], [0, 0, 1, 1, 0])
    const [upper] = fitBinning(set, Int32Array.from([0, 1, 2, 3, 4]), 64)
    expect(Array.from(upper ?? [])).toEqual([0.5, 2, Number.POSITIVE_INFINITY])
    expect(Array.from(binRows(set, Int32Array.from([0, 2, 3]), [upper ?? new Float64Array()]))).toEqual([0, 1, 2])
  })

  it('puts about equal numbers of rows in each bin when values are many', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [i])
    const set = toTrainingSet(['x'], rows, rows.map(() => 0))
    const all = Int32Array.from(rows.keys())
    const [upper] = fitBinning(set, all, 10)
    expect(upper).toHaveLength(10)
    const counts = new Array<number>(10).fill(0)
    for (const b of binRows(set, all, [upper ?? new Float64Array()])) counts[b] = (counts[b] ?? 0) + 1
    expect(counts).toEqual(new Array(10).fill(100))
  })
})

describe('gradient-boosted trees', () => {
  let xor: TrainResult
  const xorHoldout = xorChurn(10_000, 2)
  let silence: TrainResult
  const silenceHoldout = silenceChurn(5_000, 4)

  beforeAll(async () => {
    await useCpuBackend()
    xor = await trainModel(xorChurn(20_000, 1).set, { kind: 'gbdt', seed: 3 })
    silence = await trainModel(silenceChurn(20_000, 3).set, { kind: 'gbdt', seed: 3 })
  })

  it('learns an interaction a logistic model cannot see', async () => {
    const logistic = await trainModel(xorChurn(20_000, 1).set, { kind: 'logistic', seed: 3, epochs: 100 })
    const gbdtAuc = rocAuc(xorHoldout.set.labels, predict(xor.model, xorHoldout.set.rows)) ?? 0
    const logisticAuc = rocAuc(xorHoldout.set.labels, predict(logistic.model, xorHoldout.set.rows)) ?? 1
    const bayesAuc = rocAuc(xorHoldout.set.labels, xorHoldout.truth) ?? 1
    expect(logisticAuc).toBeLessThan(0.55)
    expect(gbdtAuc).toBeGreaterThan(bayesAuc - 0.01)
    expect(gbdtAuc - logisticAuc).toBeGreaterThan(0.2)
  })

  it('predicts calibrated probabilities', () => {
    const probs = predict(xor.model, xorHoldout.set.rows)
    const meanPredicted = probs.reduce((a, b) => a + b, 0) / probs.length
    const observed = xorHoldout.set.labels.reduce((a, b) => a + b, 0) / probs.length
    expect(Math.abs(meanPredicted - observed)).toBeLessThan(0.02)
  })

  it('stops early on noise and keeps the best round', async () => {
    const { model, trainingLog } = await trainModel(noiseChurn(10_000, 5).set, { kind: 'gbdt', rounds: 300, earlyStoppingRounds: 20 })
    expect(trainingLog.stoppedEarly).toBe(true)
    expect(trainingLog.summary.iterations).toBeLessThan(100)
    expect(trainingLog.summary.iterations - trainingLog.summary.bestIteration).toBe(20)
    expect(model.kind === 'gbdt' && model.trees.length).toBe(trainingLog.summary.bestIteration)
  })

  it('credits each score to features so that contributions sum to raw score minus base (Saabas)', () => {
    const rows = silenceHoldout.set.rows.subarray(0, 200 * silenceHoldout.set.d)
    const { n, d, bias, raw, values } = scoreContributions(silence.model, rows)
    const direct = rawScores(silence.model, rows)
    for (let i = 0; i < n; i++) {
      let sum = 0
      for (let j = 0; j < d; j++) sum += values[i * d + j] ?? 0
      expect(Math.abs(sum - ((raw[i] ?? 0) - bias))).toBeLessThan(1e-9)
      expect(raw[i]).toBeCloseTo(direct[i] ?? Number.NaN, 12)
    }
  })

  it('names silence as the top driver for customers silent past the threshold', () => {
    const { d, rows } = silenceHoldout.set
    const silent: number[][] = []
    for (let i = 0; i < silenceHoldout.set.n && silent.length < 50; i++) {
      if ((rows[i * d] ?? 0) > 35) silent.push(Array.from(rows.subarray(i * d, i * d + d)))
    }
    for (const drivers of explain(silence.model, silent)) {
      expect(drivers[0]?.feature).toBe('days_since_last_activity')
      expect(drivers[0]?.contribution).toBeGreaterThan(0.5)
    }
  })

  it('sends missing values down the left branch like the smallest values', () => {
    const [missing, smallest] = predict(silence.model, [
      [Number.NaN, 50, 5, 3000],
      [-1, 50, 5, 3000],
    ])
    expect(missing).toBe(smallest)
  })

  it('trains the same bytes from the same seed and different trees from another', async () => {
    const set = xorChurn(4000, 8).set
    const first = serializeModel((await trainModel(set, { kind: 'gbdt', seed: 1, rounds: 30 })).model)
    const second = serializeModel((await trainModel(set, { kind: 'gbdt', seed: 1, rounds: 30 })).model)
    const other = serializeModel((await trainModel(set, { kind: 'gbdt', seed: 2, rounds: 30 })).model)
    expect(second).toEqual(first)
    expect(other).not.toEqual(first)
  })
})
