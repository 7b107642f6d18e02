export { selectTensorflowBackend, type TensorflowBackend } from './backend.js'
export { buildPointInTimeSet, holdoutStart, type PointInTimeOptions, type PointInTimeSet } from './training-set.js'
export {
  holdoutSpreadAcrossSeeds,
  trainAndRegister,
  type SeedRun,
  type SeedSpread,
  type StoredSelectionReport,
  type TrainKind,
  type TrainOutcome,
  type TrainProgress,
  type TrainRequest,
} from './train.js'
