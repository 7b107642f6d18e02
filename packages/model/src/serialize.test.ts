import { beforeAll, describe, expect, it } from 'vitest'
import type { Model } from './model.js'
import { predict } from './predict.js'
import { deserializeModel, MODEL_FORMAT, MODEL_FORMAT_VERSION, serializeModel } from './serialize.js'
import { linearChurn } from './synthetic.fixture.js'
import { useCpuBackend } from './tf-backend.fixture.js'
import { trainModel } from './train.js'

const decode = (bytes: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))

describe('serializeModel / deserializeModel', () => {
  const training = linearChurn(6000, 1).set
  const holdout = linearChurn(2000, 2).set
  const models: Partial<Record<Model['kind'], Model>> = {}

  beforeAll(async () => {
    await useCpuBackend()
    models.logistic = (await trainModel(training, { kind: 'logistic', epochs: 80 })).model
    models.gbdt = (await trainModel(training, { kind: 'gbdt', rounds: 40 })).model
  })

  it.each(['logistic', 'gbdt'] as const)('round-trips a %s model to identical predictions and bytes', (kind) => {
    const model = models[kind] as Model
    const bytes = serializeModel(model)
    const restored = deserializeModel(bytes)
    const before = predict(model, holdout.rows)
    const after = predict(restored, holdout.rows)
    for (let i = 0; i < before.length; i++) expect(Math.abs((after[i] ?? 0) - (before[i] ?? 1))).toBeLessThanOrEqual(1e-12)
    expect(serializeModel(restored)).toEqual(bytes)
    expect(restored).toMatchObject({ kind, featureNames: model.featureNames, calibration: model.calibration, metrics: model.metrics })
  })

  it('writes a versioned JSON header with the weights as plain arrays', () => {
    const header = decode(serializeModel(models.logistic as Model))
    expect(Object.keys(header)).toEqual([
      'format', 'formatVersion', 'kind', 'featureNames', 'trackedActions', 'typical',
      'calibration', 'hyperparameters', 'training', 'metrics', 'params',
    ])
    expect(header).toMatchObject({ format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, kind: 'logistic', calibration: { method: 'platt' } })
    expect(header.params).toMatchObject({ weights: expect.any(Array), bias: expect.any(Number), transforms: expect.any(Array) })
  })

  it('rejects bytes that are not a model, naming what is wrong', () => {
    const valid = decode(serializeModel(models.gbdt as Model))
    const params = valid.params as { trees: { left: number[] }[] }
    const loopingTree = structuredClone(params)
    const firstTree = loopingTree.trees[0]
    if (firstTree) firstTree.left[0] = 0
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.from([0xff, 0xfe]), /not UTF-8 JSON/],
      [encode({ ...valid, format: 'other' }), /format/],
      [encode({ ...valid, formatVersion: MODEL_FORMAT_VERSION + 1 }), /formatVersion/],
      [encode({ ...valid, kind: 'forest' }), /kind/],
      [encode({ ...valid, typical: [1] }), /typical/],
      [encode({ ...valid, params: loopingTree }), /left\/right\[0\]/],
      [encode({ ...valid, hyperparameters: { maxDepth: 0 } }), /hyperparameters/],
    ]
    for (const [bytes, message] of cases) {
      expect(() => deserializeModel(bytes)).toThrow(message)
      expect(() => deserializeModel(bytes)).toThrow(expect.objectContaining({ code: 'CW_MODEL_INVALID_ARTIFACT' }))
    }
  })

  it('reads an artifact written before the refit existed as a model trained without one', () => {
    const header = decode(serializeModel(models.gbdt as Model))
    const { refit: _option, ...hyperparameters } = header.hyperparameters as Record<string, unknown>
    const { refit: _summary, ...training } = header.training as Record<string, unknown>
    const restored = deserializeModel(encode({ ...header, hyperparameters, training }))
    expect(restored.hyperparameters.refit).toBe(false)
    expect(restored.training.refit).toBeNull()
    expect((models.gbdt as Model).training.refit).not.toBeNull()
  })

  it('refuses to serialise a model with non-finite parameters', () => {
    const broken = { ...(models.logistic as Model), calibration: { slope: Number.NaN, intercept: 0 } }
    expect(() => serializeModel(broken)).toThrow(expect.objectContaining({ code: 'CW_MODEL_INVALID_ARTIFACT' }))
  })
})
