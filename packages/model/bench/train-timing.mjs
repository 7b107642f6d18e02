// Prints training and prediction times for both model kinds on a synthetic 150k x 22 set
// (10,000 customers x 15 monthly observations, the 22 default features). Run after `npm run build`:
//   node packages/model/bench/train-timing.mjs [customers] [observations] [backend: cpu|wasm]
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { DEFAULT_FEATURE_SET } from '@churnwatch/features'
import { predict, serializeModel, trainModel } from '@churnwatch/model'

const [customers = 10_000, observations = 15] = process.argv.slice(2, 4).map(Number)
const backend = process.argv[4] ?? 'cpu'

if (backend === 'wasm') {
  const require = createRequire(import.meta.url)
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/')
}
tf.enableProdMode()
await tf.setBackend(backend)

// mulberry32, so the figures are reproducible.
let state = 42
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0
  let t = Math.imul(state ^ (state >>> 15), state | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const normal = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random())

const names = DEFAULT_FEATURE_SET.names.slice(0, 22)
const d = names.length
const n = customers * observations
const rows = new Float64Array(n * d)
const labels = new Uint8Array(n)
const groups = new Int32Array(n)
for (let c = 0, i = 0; c < customers; c++) {
  const engagement = normal()
  for (let o = 0; o < observations; o++, i++) {
    const base = i * d
    for (let j = 0; j < d; j++) rows[base + j] = Math.round(Math.exp(2 + engagement + 0.7 * normal()))
    const silence = -10 * Math.log(Math.max(random(), 1e-12)) * Math.exp(-engagement)
    rows[base + 1] = Math.round(silence)
    rows[base + 5] = normal()
    rows[base + 12] = random() < 0.05 ? 1 : 0
    const logit = -4 + 0.8 * Math.log1p(silence) - 0.4 * engagement + 1.2 * rows[base + 12] + (silence > 30 ? 0.8 : 0)
    labels[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0
    groups[i] = c
  }
}
const set = { featureNames: names, rows, labels, n, d, groups }
console.log(`${n} rows x ${d} features, churn rate ${(labels.reduce((a, b) => a + b, 0) / n).toFixed(3)}, backend ${tf.getBackend()}`)

// Defaults (early stopping on), then the whole budget with early stopping off: the worst case.
const runs = [
  ['logistic', { kind: 'logistic' }],
  ['gbdt', { kind: 'gbdt' }],
  ['logistic, 400 epochs', { kind: 'logistic', epochs: 400, patience: 400 }],
  ['gbdt, 400 rounds', { kind: 'gbdt', rounds: 400, earlyStoppingRounds: 400 }],
]
for (const [label, options] of runs) {
  const started = performance.now()
  const { model, validation, trainingLog } = await trainModel(set, options)
  const trained = performance.now()
  predict(model, rows)
  const predicted = performance.now()
  console.log(
    `${label}: train ${((trained - started) / 1000).toFixed(1)} s (${trainingLog.summary.iterations} iterations, best ${trainingLog.summary.bestIteration}),` +
      ` predict ${n} rows ${(predicted - trained).toFixed(0)} ms, artifact ${(serializeModel(model).length / 1024).toFixed(0)} KiB,` +
      ` validation AUC ${validation.rocAuc?.toFixed(3)}, log loss ${validation.logLoss?.toFixed(4)}`,
  )
}
