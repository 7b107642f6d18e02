import { MODEL_ERROR_CODES, modelError } from './errors.js'
import type { GbdtModel, LogisticModel, Model, PlattScaling, Tree, TrainingSummary } from './model.js'
import { resolveOptions, type ClassWeight } from './options.js'
import type { FeatureTransform } from './transforms.js'

/** The `format` field of every artifact; `formatVersion` changes when readers must. */
export const MODEL_FORMAT = 'churnwatch-model'
export const MODEL_FORMAT_VERSION = 1

/**
 * The model as UTF-8 JSON: a header (format, formatVersion, kind, featureNames, trackedActions,
 * typical, calibration, hyperparameters, training, metrics) and `params` holding the weights or
 * the trees as plain number arrays. JSON writes each double in its shortest exact form, so
 * predictions after a round trip are identical; keys are written in a fixed order, so equal
 * models give equal bytes. Throws CW_MODEL_INVALID_ARTIFACT for non-finite parameters.
 */
export function serializeModel(model: Model): Uint8Array {
  const header = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    kind: model.kind,
    featureNames: [...model.featureNames],
    trackedActions: [...model.trackedActions],
    typical: finiteArray(model.typical, 'typical'),
    calibration: { method: 'platt', slope: finite(model.calibration.slope, 'calibration.slope'), intercept: finite(model.calibration.intercept, 'calibration.intercept') },
    hyperparameters: model.hyperparameters,
    training: model.training,
    metrics: model.metrics,
  }
  const params =
    model.kind === 'logistic'
      ? {
          transforms: model.transforms.map((t) => ({ feature: t.feature, log1p: t.log1p, mean: finite(t.mean, 'mean'), std: finite(t.std, 'std') })),
          weights: finiteArray(model.weights, 'weights'),
          bias: finite(model.bias, 'bias'),
        }
      : {
          baseScore: finite(model.baseScore, 'baseScore'),
          trees: model.trees.map((tree) => ({
            feature: Array.from(tree.feature),
            threshold: finiteArray(tree.threshold, 'threshold'),
            left: Array.from(tree.left),
            right: Array.from(tree.right),
            value: finiteArray(tree.value, 'value'),
          })),
        }
  return new TextEncoder().encode(JSON.stringify({ ...header, params }))
}

/** Reads bytes written by serializeModel (any format version up to this one); throws CW_MODEL_INVALID_ARTIFACT. */
export function deserializeModel(bytes: Uint8Array): Model {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (cause) {
    throw modelError(MODEL_ERROR_CODES.invalidArtifact, 'model artifact is not UTF-8 JSON', cause)
  }
  const root = object(parsed, '')
  if (root.format !== MODEL_FORMAT) throw invalid('format', `expected "${MODEL_FORMAT}"`)
  const version = integer(root.formatVersion, 'formatVersion')
  if (version < 1 || version > MODEL_FORMAT_VERSION) throw invalid('formatVersion', `version ${version} is not readable (this reader: ${MODEL_FORMAT_VERSION})`)
  const featureNames = strings(root.featureNames, 'featureNames')
  const d = featureNames.length
  if (d === 0 || new Set(featureNames).size !== d) throw invalid('featureNames', 'expected unique names')
  const calibrationJson = object(root.calibration, 'calibration')
  if (calibrationJson.method !== 'platt') throw invalid('calibration.method', 'expected "platt"')
  const calibration: PlattScaling = { slope: number(calibrationJson.slope, 'calibration.slope'), intercept: number(calibrationJson.intercept, 'calibration.intercept') }
  const metrics = root.metrics === null ? null : object(root.metrics, 'metrics')
  const common = {
    featureNames,
    trackedActions: strings(root.trackedActions, 'trackedActions'),
    typical: Float64Array.from(numbers(root.typical, 'typical', d)),
    calibration,
    training: trainingSummary(root.training),
    metrics,
  }
  const params = object(root.params, 'params')
  const hyper = object(root.hyperparameters, 'hyperparameters')
  if (root.kind === 'logistic') {
    const hyperparameters = wrapOptions(() =>
      resolveOptions({
        kind: 'logistic',
        ...optionalNumbers(hyper, ['seed', 'validationFraction', 'calibrationFraction', 'learningRate', 'epochs', 'l2', 'evalEvery', 'patience']),
        refit: refitOption(hyper.refit),
        classWeight: classWeight(hyper.classWeight),
      }),
    )
    const model: LogisticModel = {
      kind: 'logistic',
      ...common,
      hyperparameters,
      transforms: transforms(params.transforms, featureNames),
      weights: Float64Array.from(numbers(params.weights, 'params.weights', d)),
      bias: number(params.bias, 'params.bias'),
    }
    return model
  }
  if (root.kind === 'gbdt') {
    const hyperparameters = wrapOptions(() =>
      resolveOptions({
        kind: 'gbdt',
        ...optionalNumbers(hyper, [
          'seed', 'validationFraction', 'calibrationFraction', 'rounds', 'learningRate', 'maxDepth', 'maxBins',
          'minSamplesLeaf', 'l2', 'subsample', 'earlyStoppingRounds', 'minGain',
        ]),
        refit: refitOption(hyper.refit),
        classWeight: classWeight(hyper.classWeight),
      }),
    )
    const model: GbdtModel = {
      kind: 'gbdt',
      ...common,
      hyperparameters,
      baseScore: number(params.baseScore, 'params.baseScore'),
      trees: array(params.trees, 'params.trees').map((t, i) => tree(t, `params.trees[${i}]`, d)),
    }
    return model
  }
  throw invalid('kind', 'expected "logistic" or "gbdt"')
}

function tree(value: unknown, path: string, d: number): Tree {
  const t = object(value, path)
  const feature = numbers(t.feature, `${path}.feature`)
  const size = feature.length
  const threshold = numbers(t.threshold, `${path}.threshold`, size)
  const left = numbers(t.left, `${path}.left`, size)
  const right = numbers(t.right, `${path}.right`, size)
  const nodeValue = numbers(t.value, `${path}.value`, size)
  if (size === 0) throw invalid(path, 'a tree needs a root')
  for (let i = 0; i < size; i++) {
    const f = feature[i] as number
    if (!Number.isInteger(f) || f < -1 || f >= d) throw invalid(`${path}.feature[${i}]`, `expected -1 or a feature index below ${d}`)
    // Children after their parent: every path ends, so a corrupt artifact cannot loop predict.
    const isChild = (c: number): boolean => Number.isInteger(c) && c > i && c < size
    if (f >= 0 && !(isChild(left[i] as number) && isChild(right[i] as number))) throw invalid(`${path}.left/right[${i}]`, 'expected child indices after the node')
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(nodeValue),
  }
}

function transforms(value: unknown, featureNames: readonly string[]): FeatureTransform[] {
  const list = array(value, 'params.transforms')
  if (list.length !== featureNames.length) throw invalid('params.transforms', `expected ${featureNames.length} transforms`)
  return list.map((item, j) => {
    const path = `params.transforms[${j}]`
    const t = object(item, path)
    const feature = featureNames[j] as string
    if (t.feature !== feature) throw invalid(`${path}.feature`, `expected "${feature}"`)
    if (typeof t.log1p !== 'boolean') throw invalid(`${path}.log1p`, 'expected a boolean')
    const std = number(t.std, `${path}.std`)
    if (std <= 0) throw invalid(`${path}.std`, 'expected a positive number')
    return { feature, log1p: t.log1p, mean: number(t.mean, `${path}.mean`), std }
  })
}

function trainingSummary(value: unknown): TrainingSummary {
  const t = object(value, 'training')
  if (t.calibratedOn !== 'calibration' && t.calibratedOn !== 'validation') throw invalid('training.calibratedOn', 'expected "calibration" or "validation"')
  return {
    rows: integer(t.rows, 'training.rows'),
    positives: integer(t.positives, 'training.positives'),
    trainRows: integer(t.trainRows, 'training.trainRows'),
    validationRows: integer(t.validationRows, 'training.validationRows'),
    calibrationRows: integer(t.calibrationRows, 'training.calibrationRows'),
    iterations: integer(t.iterations, 'training.iterations'),
    bestIteration: integer(t.bestIteration, 'training.bestIteration'),
    calibratedOn: t.calibratedOn,
    refit: refitSummary(t.refit),
  }
}

// Artifacts written before the refit existed have no `refit`: they were not refitted.
function refitSummary(value: unknown): TrainingSummary['refit'] {
  if (value === undefined || value === null) return null
  const r = object(value, 'training.refit')
  return { rows: integer(r.rows, 'training.refit.rows'), iterations: integer(r.iterations, 'training.refit.iterations') }
}

// Same rule for the option: a missing `refit` means the model was trained without one.
function refitOption(value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalid('hyperparameters.refit', 'expected a boolean')
  return value
}

function classWeight(value: unknown): ClassWeight | undefined {
  if (value === undefined || value === 'balanced' || value === 'none') return value
  const w = object(value, 'hyperparameters.classWeight')
  return { negative: number(w.negative, 'hyperparameters.classWeight.negative'), positive: number(w.positive, 'hyperparameters.classWeight.positive') }
}

function optionalNumbers(source: Record<string, unknown>, keys: readonly string[]): Record<string, number | undefined> {
  return Object.fromEntries(keys.map((key) => [key, source[key] === undefined ? undefined : number(source[key], `hyperparameters.${key}`)]))
}

function wrapOptions<T>(resolve: () => T): T {
  try {
    return resolve()
  } catch (cause) {
    throw modelError(MODEL_ERROR_CODES.invalidArtifact, 'model artifact has invalid hyperparameters', cause)
  }
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'expected an object')
  return value as Record<string, unknown>
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, 'expected an array')
  return value
}

function number(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(path, 'expected a finite number')
  return value
}

function integer(value: unknown, path: string): number {
  const n = number(value, path)
  if (!Number.isInteger(n)) throw invalid(path, 'expected an integer')
  return n
}

function numbers(value: unknown, path: string, length?: number): number[] {
  const list = array(value, path)
  if (length !== undefined && list.length !== length) throw invalid(path, `expected ${length} numbers`)
  return list.map((v, i) => number(v, `${path}[${i}]`))
}

function strings(value: unknown, path: string): string[] {
  return array(value, path).map((v, i) => {
    if (typeof v !== 'string') throw invalid(`${path}[${i}]`, 'expected a string')
    return v
  })
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw modelError(MODEL_ERROR_CODES.invalidArtifact, `cannot serialise a model with a non-finite ${what}`)
  return value
}

function finiteArray(values: Float64Array, what: string): number[] {
  return Array.from(values, (v) => finite(v, what))
}

function invalid(path: string, message: string): Error {
  return modelError(MODEL_ERROR_CODES.invalidArtifact, `invalid model artifact at ${path || '(root)'}: ${message}`)
}
