import { MODEL_ERROR_CODES, modelError } from './errors.js'

/** Per-class example weights: 'balanced' weighs each class by n / (2 * n_class). */
export type ClassWeight = 'balanced' | 'none' | { negative: number; positive: number }

interface CommonOptions {
  /** Seeds the split and the row sampling; equal seeds give equal models. Default 1. */
  seed?: number
  /** Share of groups held out for early stopping and the reported evaluation. Default 0.2. */
  validationFraction?: number
  /** Share of groups held out to fit Platt scaling; 0 reuses the validation split. Default 0.15. */
  calibrationFraction?: number
  /**
   * Once early stopping has chosen the epochs (logistic) or rounds (GBDT) on the validation split,
   * fit again on train + validation rows with that count, so the shipped model learns from the
   * validation customers too; the calibration split stays out, so Platt scaling still sees
   * out-of-sample scores. Skipped when calibrationFraction is 0 (calibration would be in-sample).
   * The count is kept as chosen, not scaled up for the larger set (README: "Refit"). Default true.
   */
  refit?: boolean
  classWeight?: ClassWeight
}

export interface LogisticOptions extends CommonOptions {
  kind: 'logistic'
  /** Adam step size. Default 0.05. */
  learningRate?: number
  /** Maximum full-batch steps. Default 400. */
  epochs?: number
  /** L2 penalty on the weights (not the bias), added as l2/2 * |w|^2 to the mean loss. Default 1e-4. */
  l2?: number
  /** Steps between validation checks. Default 10. */
  evalEvery?: number
  /** Checks without validation improvement before stopping. Default 5. */
  patience?: number
}

export interface GbdtOptions extends CommonOptions {
  kind: 'gbdt'
  /** Maximum boosting rounds (trees). Default 400. */
  rounds?: number
  /** Shrinkage applied to each tree. Default 0.1. */
  learningRate?: number
  /** Depth of each tree (2^depth leaves at most). Default 4. */
  maxDepth?: number
  /** Quantile bins per feature, at most 256. Default 64. */
  maxBins?: number
  /** Fewest training rows in a leaf. Default 50. */
  minSamplesLeaf?: number
  /** L2 penalty on leaf values (the lambda of -G / (H + lambda)). Default 1. */
  l2?: number
  /** Share of training rows sampled for each tree. Default 0.8. */
  subsample?: number
  /** Stop when validation log loss has not improved for this many rounds. Default 30. */
  earlyStoppingRounds?: number
  /** Smallest loss reduction for a split. Default 0. */
  minGain?: number
}

export type TrainOptions = LogisticOptions | GbdtOptions

export type LogisticHyperparameters = Required<LogisticOptions>
export type GbdtHyperparameters = Required<GbdtOptions>

/** Fills defaults and checks ranges; throws CW_MODEL_INVALID_OPTIONS. */
export function resolveOptions(options: LogisticOptions): LogisticHyperparameters
export function resolveOptions(options: GbdtOptions): GbdtHyperparameters
export function resolveOptions(options: TrainOptions): LogisticHyperparameters | GbdtHyperparameters
export function resolveOptions(options: TrainOptions): LogisticHyperparameters | GbdtHyperparameters {
  // Built field by field: unknown keys are dropped and the key order (hence the model bytes) is fixed.
  const common = {
    seed: options.seed ?? 1,
    validationFraction: options.validationFraction ?? 0.2,
    calibrationFraction: options.calibrationFraction ?? 0.15,
    refit: options.refit ?? true,
  }
  const resolved: LogisticHyperparameters | GbdtHyperparameters =
    options.kind === 'logistic'
      ? {
          kind: 'logistic',
          ...common,
          classWeight: copyClassWeight(options.classWeight ?? 'balanced'),
          learningRate: options.learningRate ?? 0.05,
          epochs: options.epochs ?? 400,
          l2: options.l2 ?? 1e-4,
          evalEvery: options.evalEvery ?? 10,
          patience: options.patience ?? 5,
        }
      : {
          kind: 'gbdt',
          ...common,
          // Unweighted by default: boosting on the true objective keeps raw scores near real
          // probabilities, so Platt scaling only has a small correction to make.
          classWeight: copyClassWeight(options.classWeight ?? 'none'),
          rounds: options.rounds ?? 400,
          learningRate: options.learningRate ?? 0.1,
          maxDepth: options.maxDepth ?? 4,
          maxBins: options.maxBins ?? 64,
          minSamplesLeaf: options.minSamplesLeaf ?? 50,
          l2: options.l2 ?? 1,
          subsample: options.subsample ?? 0.8,
          earlyStoppingRounds: options.earlyStoppingRounds ?? 30,
          minGain: options.minGain ?? 0,
        }
  check(Number.isInteger(resolved.seed), 'seed must be an integer')
  check(inRange(resolved.validationFraction, 0, 0.9) && resolved.validationFraction > 0, 'validationFraction must be in (0, 0.9]')
  check(inRange(resolved.calibrationFraction, 0, 0.9), 'calibrationFraction must be in [0, 0.9]')
  check(resolved.validationFraction + resolved.calibrationFraction < 1, 'validation and calibration fractions leave no training rows')
  check(typeof resolved.refit === 'boolean', 'refit must be a boolean')
  const cw = resolved.classWeight
  check(
    cw === 'balanced' || cw === 'none' || (typeof cw === 'object' && cw.negative > 0 && cw.positive > 0),
    'classWeight must be balanced, none or positive { negative, positive }',
  )
  check(resolved.learningRate > 0, 'learningRate must be positive')
  check(resolved.l2 >= 0, 'l2 must be >= 0')
  if (resolved.kind === 'logistic') {
    check(Number.isInteger(resolved.epochs) && resolved.epochs >= 1, 'epochs must be a positive integer')
    check(Number.isInteger(resolved.evalEvery) && resolved.evalEvery >= 1, 'evalEvery must be a positive integer')
    check(Number.isInteger(resolved.patience) && resolved.patience >= 1, 'patience must be a positive integer')
  } else {
    check(Number.isInteger(resolved.rounds) && resolved.rounds >= 1, 'rounds must be a positive integer')
    check(Number.isInteger(resolved.maxDepth) && inRange(resolved.maxDepth, 1, 12), 'maxDepth must be an integer in [1, 12]')
    check(Number.isInteger(resolved.maxBins) && inRange(resolved.maxBins, 2, 256), 'maxBins must be an integer in [2, 256]')
    check(Number.isInteger(resolved.minSamplesLeaf) && resolved.minSamplesLeaf >= 1, 'minSamplesLeaf must be a positive integer')
    check(resolved.subsample > 0 && resolved.subsample <= 1, 'subsample must be in (0, 1]')
    check(Number.isInteger(resolved.earlyStoppingRounds) && resolved.earlyStoppingRounds >= 1, 'earlyStoppingRounds must be a positive integer')
    check(resolved.minGain >= 0, 'minGain must be >= 0')
  }
  return resolved
}

/** The weight of a negative and of a positive example for these labels. */
export function classWeights(classWeight: ClassWeight, labels: Uint8Array, rowIndices: Int32Array): [number, number] {
  if (classWeight === 'none') return [1, 1]
  if (classWeight !== 'balanced') return [classWeight.negative, classWeight.positive]
  let positives = 0
  for (let k = 0; k < rowIndices.length; k++) positives += labels[rowIndices[k] as number] as number
  const negatives = rowIndices.length - positives
  // One class absent: nothing to balance against.
  if (positives === 0 || negatives === 0) return [1, 1]
  return [rowIndices.length / (2 * negatives), rowIndices.length / (2 * positives)]
}

function copyClassWeight(classWeight: ClassWeight): ClassWeight {
  return typeof classWeight === 'object' ? { negative: classWeight.negative, positive: classWeight.positive } : classWeight
}

function inRange(value: number, min: number, max: number): boolean {
  return value >= min && value <= max
}

function check(condition: boolean, message: string): void {
  if (!condition) throw modelError(MODEL_ERROR_CODES.invalidOptions, `invalid training options: ${message}`)
}
