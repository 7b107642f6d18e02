export { selectTensorflowBackend, type TensorflowBackend } from './backend.js'
export { buildPointInTimeSet, holdoutStart, type PointInTimeOptions, type PointInTimeSet } from './training-set.js'
export { trainAndRegister, type TrainRequest, type TrainOutcome } from './train.js'
