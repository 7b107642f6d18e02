// The public surface of @churnwatch/model: every export is named here.
export type { Driver } from '@churnwatch/contract'
export { MODEL_ERROR_CODES } from './errors.js'
export { toTrainingSet, type TrainingSet } from './training-set.js'
export {
  type ClassWeight,
  type GbdtHyperparameters,
  type GbdtOptions,
  type LogisticHyperparameters,
  type LogisticOptions,
  type TrainOptions,
} from './options.js'
export { trainModel, type TrainResult, type TrainingLog } from './train.js'
export {
  AUTO_CANDIDATES,
  candidateName,
  planFolds,
  selectModel,
  type Candidate,
  type CandidateReport,
  type Fold,
  type FoldMetrics,
  type FoldPlan,
  type SelectionOptions,
  type SelectionProgress,
  type SelectionReport,
  type SelectionResult,
} from './select.js'
export type {
  GbdtModel,
  IterationLog,
  LogisticModel,
  Model,
  PlattScaling,
  TrainingSummary,
  Tree,
} from './model.js'
export type { FeatureTransform } from './transforms.js'
export { predict, rawScores, rowsFromValues, scoreContributions, type Rows, type ScoreContributions } from './predict.js'
export { explain, driverSentence } from './explain.js'
export {
  averagePrecision,
  brierScore,
  calibrationTable,
  evaluate,
  logLoss,
  rocAuc,
  topDecile,
  type CalibrationBin,
  type EvaluationReport,
} from './evaluate.js'
export { deserializeModel, MODEL_FORMAT, MODEL_FORMAT_VERSION, serializeModel } from './serialize.js'
