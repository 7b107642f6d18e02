export {
  createActiveScorer,
  isUnscorableModel,
  loadActiveScorer,
  scoreHistories,
  readHistoriesForScoring,
  scoreAllCustomersAt,
  type ActiveScorer,
  type ScoredCustomer,
} from './score.js'
export { activateModelVersion, assertFeaturesSupported, SCORING_ERROR_CODES, UnsupportedFeaturesError } from './activation.js'
export { bandOf, chooseBandThresholds, type BandThresholds } from './bands.js'
export { diffDrivers, type PreviousMaterialScore } from './driver-changes.js'
