import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rocAuc } from './evaluate.js'
import { predict } from './predict.js'
import { deserializeModel, serializeModel } from './serialize.js'
import { linearChurn } from './synthetic.fixture.js'
import { trainModel } from './train.js'

// How a Node caller selects the wasm backend: point setWasmPaths at the package's dist/ folder
// (a file path; Node reads the .wasm binaries from disk), then setBackend.
beforeAll(async () => {
  const require = createRequire(import.meta.url)
  setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`)
  tf.env().set('IS_TEST', true)
  expect(await tf.setBackend('wasm')).toBe(true)
})

describe('logistic training on the wasm backend', () => {
  it('trains a model as good as the cpu backend would, and scores without any backend', async () => {
    expect(tf.getBackend()).toBe('wasm')
    const holdout = linearChurn(10_000, 2)
    const before = tf.memory().numTensors
    const { model } = await trainModel(linearChurn(12_000, 1).set, { kind: 'logistic' })
    expect(tf.memory().numTensors).toBe(before)
    const auc = rocAuc(holdout.set.labels, predict(model, holdout.set.rows)) ?? 0
    expect(auc).toBeGreaterThan((rocAuc(holdout.set.labels, holdout.truth) ?? 1) - 0.015)
    expect(predict(deserializeModel(serializeModel(model)), holdout.set.rows)).toEqual(predict(model, holdout.set.rows))
  })
})
