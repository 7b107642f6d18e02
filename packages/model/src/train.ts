import { ACTION_FEATURE_PREFIX } from '@churnwatch/features'
import { fitPlatt } from './calibration.js'
import { MODEL_ERROR_CODES, modelError } from './errors.js'
import { evaluate, type EvaluationReport } from './evaluate.js'
import { fitGbdt, refitGbdt } from './gbdt.js'
import { fitLogistic, type DesignMatrix } from './logistic.js'
import type { GbdtModel, IterationLog, LogisticModel, Model, PlattScaling, TrainingSummary } from './model.js'
import { classWeights, resolveOptions, type TrainOptions } from './options.js'
import { predict, rawScores } from './predict.js'
import { splitTrainingSet } from './split.js'
import { assertTrainingSet, type TrainingSet } from './training-set.js'
import { featureMedians, fitTransforms, transformValue, type FeatureTransform } from './transforms.js'

/** What training did, for the caller to log or store; the package itself never logs. */
export interface TrainingLog {
  kind: Model['kind']
  summary: TrainingSummary
  /** The weights of a negative and a positive example in the final fit (the refit's rows when refitted). */
  classWeights: [number, number]
  /** True when validation loss stopped improving before the epoch/round budget ran out. */
  stoppedEarly: boolean
  /** Losses of the early-stopping fit on the train split (the refit has no held-out rows to log). */
  history: IterationLog[]
  calibration: PlattScaling
}

export interface TrainResult {
  model: Model
  /**
   * Calibrated probabilities on the validation split (also stored as model.metrics), from the
   * model fitted on the train split alone, as early stopping kept it, with its own Platt scaling:
   * out-of-sample for the returned model's recipe. When refitted, the returned model also learned
   * from these rows, so scoring it on them would flatter it.
   */
  validation: EvaluationReport
  trainingLog: TrainingLog
}

/**
 * Trains a calibrated churn model. Rows are split by group into train (transforms, bins,
 * weights or trees), validation (early stopping and the report) and calibration (Platt scaling;
 * the validation split when calibrationFraction is 0). With `refit` (the default) the model is
 * then fitted again on train + validation rows for the epochs or rounds early stopping chose,
 * and calibrated on the untouched calibration split. Logistic training runs on the tfjs backend
 * the caller selected; GBDT training and all prediction are plain typed-array code.
 */
export async function trainModel(set: TrainingSet, options: TrainOptions): Promise<TrainResult> {
  assertTrainingSet(set)
  const hp = resolveOptions(options)
  const split = splitTrainingSet(set, hp.validationFraction, hp.calibrationFraction, hp.seed)
  let trainPositives = 0
  for (let k = 0; k < split.train.length; k++) trainPositives += set.labels[split.train[k] as number] as number
  if (trainPositives === 0 || trainPositives === split.train.length) {
    throw modelError(MODEL_ERROR_CODES.invalidTrainingSet, 'invalid training set: the training split needs both churned and retained rows')
  }
  const weights = classWeights(hp.classWeight, set.labels, split.train)
  const calibrationRows = split.calibration.length > 0 ? split.calibration : split.validation
  // Refitting onto the validation rows needs calibration rows of its own, or Platt would see in-sample scores.
  const refitRows = hp.refit && split.calibration.length > 0 ? mergeRows(split.train, split.validation) : null
  const refitWeights = refitRows === null ? weights : classWeights(hp.classWeight, set.labels, refitRows)
  let positives = 0
  for (let i = 0; i < set.n; i++) positives += set.labels[i] as number
  const common = {
    featureNames: [...set.featureNames],
    trackedActions: set.featureNames.filter((name) => name.startsWith(ACTION_FEATURE_PREFIX)).map((name) => name.slice(ACTION_FEATURE_PREFIX.length)),
    typical: featureMedians(set, split.train),
    calibration: { slope: 1, intercept: 0 },
    metrics: null,
  }
  const summary = (iterations: number, bestIteration: number): TrainingSummary => ({
    rows: set.n,
    positives,
    trainRows: split.train.length,
    validationRows: split.validation.length,
    calibrationRows: calibrationRows.length,
    iterations,
    bestIteration,
    calibratedOn: split.calibration.length > 0 ? 'calibration' : 'validation',
    refit: refitRows === null ? null : { rows: refitRows.length, iterations: bestIteration },
  })
  const refitTypical = refitRows === null ? common.typical : featureMedians(set, refitRows)

  // stopped: fitted on the train split as early stopping kept it; shipped: stopped, or its refit.
  let stopped: Model
  let shipped: Model
  let history: IterationLog[]
  let budget: number
  if (hp.kind === 'logistic') {
    const transforms = fitTransforms(set, split.train)
    const fit = await fitLogistic(
      designMatrix(set, split.train, transforms, weights),
      designMatrix(set, split.validation, transforms, weights),
      hp,
    )
    const model: LogisticModel = {
      kind: 'logistic',
      ...common,
      training: summary(fit.iterations, fit.bestIteration),
      hyperparameters: hp,
      transforms,
      weights: fit.weights,
      bias: fit.bias,
    }
    stopped = model
    shipped = model
    if (refitRows !== null) {
      const refitTransforms = fitTransforms(set, refitRows)
      const again = await fitLogistic(designMatrix(set, refitRows, refitTransforms, refitWeights), null, { ...hp, epochs: fit.bestIteration })
      shipped = { ...model, typical: refitTypical, transforms: refitTransforms, weights: again.weights, bias: again.bias }
    }
    history = fit.history
    budget = hp.epochs
  } else {
    const fit = fitGbdt(set, split.train, split.validation, hp, weights)
    const model: GbdtModel = {
      kind: 'gbdt',
      ...common,
      training: summary(fit.iterations, fit.bestIteration),
      hyperparameters: hp,
      baseScore: fit.baseScore,
      trees: fit.trees,
    }
    stopped = model
    shipped = model
    if (refitRows !== null) {
      const again = refitGbdt(set, refitRows, fit.bestIteration, hp, refitWeights)
      shipped = { ...model, typical: refitTypical, baseScore: again.baseScore, trees: again.trees }
    }
    history = fit.history
    budget = hp.rounds
  }

  const calibrationX = gatherRows(set, calibrationRows)
  const calibrationY = gatherLabels(set, calibrationRows)
  const stoppedCalibration = fitPlatt(rawScores(stopped, calibrationX), calibrationY)
  const validation = evaluate(gatherLabels(set, split.validation), predict({ ...stopped, calibration: stoppedCalibration }, gatherRows(set, split.validation)))
  const calibration = shipped === stopped ? stoppedCalibration : fitPlatt(rawScores(shipped, calibrationX), calibrationY)
  const model: Model = { ...shipped, calibration, metrics: validation }
  return {
    model,
    validation,
    trainingLog: {
      kind: model.kind,
      summary: model.training,
      classWeights: refitWeights,
      stoppedEarly: model.training.iterations < budget,
      history,
      calibration,
    },
  }
}

// The union of two ascending, disjoint row lists, ascending (the order every fit sees rows in).
function mergeRows(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out.sort()
}

/** The raw values of the given rows, row-major, in their order. */
export function gatherRows(set: TrainingSet, rowIndices: Int32Array): Float64Array {
  const { d, rows } = set
  const out = new Float64Array(rowIndices.length * d)
  for (let k = 0; k < rowIndices.length; k++) {
    const start = (rowIndices[k] as number) * d
    out.set(rows.subarray(start, start + d), k * d)
  }
  return out
}

/** The labels of the given rows, in their order. */
export function gatherLabels(set: TrainingSet, rowIndices: Int32Array): Uint8Array {
  const out = new Uint8Array(rowIndices.length)
  for (let k = 0; k < rowIndices.length; k++) out[k] = set.labels[rowIndices[k] as number] as number
  return out
}

/** The transformed float32 matrix, labels and class weights tfjs trains on. */
export function designMatrix(
  set: TrainingSet,
  rowIndices: Int32Array,
  transforms: readonly FeatureTransform[],
  classWeight: readonly [number, number],
): DesignMatrix {
  const { d, rows } = set
  const n = rowIndices.length
  const x = new Float32Array(n * d)
  const y = new Float32Array(n)
  const w = new Float32Array(n)
  for (let k = 0; k < n; k++) {
    const row = rowIndices[k] as number
    for (let j = 0; j < d; j++) x[k * d + j] = transformValue(transforms[j] as FeatureTransform, rows[row * d + j] as number)
    const label = set.labels[row] as number
    y[k] = label
    w[k] = classWeight[label] as number
  }
  return { x, y, w, n, d }
}
