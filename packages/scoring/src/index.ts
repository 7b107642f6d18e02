export {
  loadActiveScorer,
  scoreHistories,
  readHistoriesForScoring,
  scoreAllCustomersAt,
  type ActiveScorer,
  type ScoredCustomer,
} from './score.js'
export { bandOf, chooseBandThresholds, type BandThresholds } from './bands.js'
