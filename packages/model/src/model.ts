import type { GbdtHyperparameters, LogisticHyperparameters } from './options.js'
import type { FeatureTransform } from './transforms.js'

/** Platt scaling: probability = sigmoid(slope * rawScore + intercept). */
export interface PlattScaling {
  slope: number
  intercept: number
}

/**
 * One regression tree in flat arrays (node 0 is the root). A node with feature < 0 is a leaf.
 * Rows go left when value <= threshold or the value is NaN (missing), else right.
 */
export interface Tree {
  feature: Int32Array
  threshold: Float64Array
  left: Int32Array
  right: Int32Array
  /**
   * Every node's value in log-odds (already multiplied by the learning rate): a leaf adds its
   * value to the score; internal values exist for path attribution (Saabas) in explanations.
   */
  value: Float64Array
}

/** The losses at one epoch (logistic, every evalEvery) or round (GBDT): weighted mean log loss. */
export interface IterationLog {
  iteration: number
  /** On the training rows (the logistic one includes the L2 term). */
  trainLoss: number
  validationLoss: number
}

/** What training saw and did, kept with the model for the registry. */
export interface TrainingSummary {
  rows: number
  positives: number
  trainRows: number
  validationRows: number
  calibrationRows: number
  /** Epochs (logistic) or rounds (GBDT) run, and the one kept. */
  iterations: number
  bestIteration: number
  /** The split Platt scaling was fitted on. */
  calibratedOn: 'calibration' | 'validation'
  /**
   * The final fit on train + validation rows for bestIteration epochs/rounds, after early
   * stopping chose that count; null when the model is the early-stopped one (no refit).
   */
  refit: { rows: number; iterations: number } | null
}

interface ModelCommon {
  featureNames: readonly string[]
  /** Actions with their own per-action feature (from `action_30d:*` names), for defineFeatureSet. */
  trackedActions: readonly string[]
  /** Median raw value of each feature over the training rows, quoted in explanations. */
  typical: Float64Array
  calibration: PlattScaling
  training: TrainingSummary
  /** Holdout metrics (the validation report at training time; a trainer may replace them). */
  metrics: Readonly<Record<string, unknown>> | null
}

export interface LogisticModel extends ModelCommon {
  kind: 'logistic'
  hyperparameters: LogisticHyperparameters
  transforms: readonly FeatureTransform[]
  /** One weight per transformed feature; rawScore = bias + sum(weights * transformed). */
  weights: Float64Array
  bias: number
}

export interface GbdtModel extends ModelCommon {
  kind: 'gbdt'
  hyperparameters: GbdtHyperparameters
  /** Log-odds every row starts from; rawScore = baseScore + each tree's leaf value. */
  baseScore: number
  trees: readonly Tree[]
}

/** A trained churn model: plain data, serialisable with serializeModel. */
export type Model = LogisticModel | GbdtModel
