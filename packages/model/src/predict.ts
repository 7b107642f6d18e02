import { MODEL_ERROR_CODES, modelError } from './errors.js'
import type { GbdtModel, LogisticModel, Model } from './model.js'
import { transformValue } from './transforms.js'

/** Rows to score: a row-major Float64Array (n x d) or an array of rows, in model.featureNames order. */
export type Rows = Float64Array | readonly (readonly number[])[]

/** Per-feature additive explanation of raw scores: raw[i] = bias + sum_j values[i*d + j]. */
export interface ScoreContributions {
  n: number
  d: number
  /** The score of a row with nothing to say: the logistic intercept, or the GBDT base score plus each tree's root value. */
  bias: number
  raw: Float64Array
  /** Row-major n x d contributions in raw (uncalibrated) log-odds. */
  values: Float64Array
}

/** Calibrated P(churn within the horizon) for each row; NaN values are treated as missing. No tf backend needed. */
export function predict(model: Model, rows: Rows): Float64Array {
  const raw = rawScores(model, rows)
  const { slope, intercept } = model.calibration
  for (let i = 0; i < raw.length; i++) raw[i] = sigmoid(slope * (raw[i] as number) + intercept)
  return raw
}

/** The model's uncalibrated log-odds for each row. */
export function rawScores(model: Model, rows: Rows): Float64Array {
  const { data, n } = toMatrix(rows, model.featureNames.length)
  return model.kind === 'logistic' ? logisticScores(model, data, n) : gbdtScores(model, data, n)
}

/** Additive per-feature contributions to each raw score (coefficient x standardised value, or Saabas paths). */
export function scoreContributions(model: Model, rows: Rows): ScoreContributions {
  const d = model.featureNames.length
  const { data, n } = toMatrix(rows, d)
  return model.kind === 'logistic' ? logisticContributions(model, data, n) : gbdtContributions(model, data, n)
}

// The row-major matrix behind `rows`; throws CW_MODEL_INVALID_INPUT when a row is not d long.
function toMatrix(rows: Rows, d: number): { data: Float64Array; n: number } {
  if (rows instanceof Float64Array) {
    if (rows.length % d !== 0) throw invalidInput(`${rows.length} values is not a multiple of ${d} features`)
    return { data: rows, n: rows.length / d }
  }
  const data = new Float64Array(rows.length * d)
  rows.forEach((row, i) => {
    if (row.length !== d) throw invalidInput(`row ${i} has ${row.length} values, expected ${d}`)
    data.set(row, i * d)
  })
  return { data, n: rows.length }
}

/** Rows from feature-name -> value records (e.g. FeatureVector.values); a missing name becomes NaN (missing). */
export function rowsFromValues(featureNames: readonly string[], records: readonly Readonly<Record<string, number>>[]): Float64Array {
  const d = featureNames.length
  const data = new Float64Array(records.length * d)
  records.forEach((record, i) => {
    featureNames.forEach((name, j) => {
      data[i * d + j] = record[name] ?? Number.NaN
    })
  })
  return data
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z))
}

function logisticScores(model: LogisticModel, data: Float64Array, n: number): Float64Array {
  const d = model.weights.length
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let z = model.bias
    for (let j = 0; j < d; j++) {
      z += (model.weights[j] as number) * transformValue(model.transforms[j] as LogisticModel['transforms'][number], data[i * d + j] as number)
    }
    out[i] = z
  }
  return out
}

function logisticContributions(model: LogisticModel, data: Float64Array, n: number): ScoreContributions {
  const d = model.weights.length
  const values = new Float64Array(n * d)
  const raw = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let z = model.bias
    for (let j = 0; j < d; j++) {
      const c = (model.weights[j] as number) * transformValue(model.transforms[j] as LogisticModel['transforms'][number], data[i * d + j] as number)
      values[i * d + j] = c
      z += c
    }
    raw[i] = z
  }
  return { n, d, bias: model.bias, raw, values }
}

function gbdtScores(model: GbdtModel, data: Float64Array, n: number): Float64Array {
  const d = model.featureNames.length
  const out = new Float64Array(n).fill(model.baseScore)
  // Tree-outer keeps one small tree hot in cache while streaming the rows.
  for (const tree of model.trees) {
    const { feature, threshold, left, right, value } = tree
    for (let i = 0; i < n; i++) {
      const base = i * d
      let node = 0
      let f = feature[0] as number
      while (f >= 0) {
        const x = data[base + f] as number
        node = x <= (threshold[node] as number) || x !== x ? (left[node] as number) : (right[node] as number)
        f = feature[node] as number
      }
      out[i] = (out[i] as number) + (value[node] as number)
    }
  }
  return out
}

function gbdtContributions(model: GbdtModel, data: Float64Array, n: number): ScoreContributions {
  const d = model.featureNames.length
  let bias = model.baseScore
  for (const tree of model.trees) bias += tree.value[0] as number
  const values = new Float64Array(n * d)
  const raw = new Float64Array(n).fill(model.baseScore)
  for (const tree of model.trees) {
    for (let i = 0; i < n; i++) {
      const base = i * d
      let node = 0
      let f = tree.feature[0] as number
      // Saabas: each split credits its feature with the change in node value it causes.
      while (f >= 0) {
        const x = data[base + f] as number
        const next = x <= (tree.threshold[node] as number) || x !== x ? (tree.left[node] as number) : (tree.right[node] as number)
        values[base + f] = (values[base + f] as number) + (tree.value[next] as number) - (tree.value[node] as number)
        node = next
        f = tree.feature[node] as number
      }
      raw[i] = (raw[i] as number) + (tree.value[node] as number)
    }
  }
  return { n, d, bias, raw, values }
}

function invalidInput(message: string): Error {
  return modelError(MODEL_ERROR_CODES.invalidInput, `invalid rows: ${message}`)
}
