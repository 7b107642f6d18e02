// The public surface of @churnwatch/metrics: every export is named here.
export {
  churnMetrics,
  EARLY_CHURN_DAYS,
  type ChurnKindSplit,
  type ChurnMetricsOptions,
  type ChurnPeriod,
} from './churn.js'
export { retentionCohorts, type CohortRow, type RetentionOptions } from './cohorts.js'
export { type ChurnInterval } from './periods.js'
export { type BillingHistory } from './timeline.js'
export { METRICS_ERROR_CODES } from './errors.js'
export {
  binomialUpperTail,
  churnSpikeTest,
  logGamma,
  scanChurnSpikes,
  type ChurnSpikeInput,
  type ChurnSpikeOptions,
  type ChurnSpikeResult,
  type ChurnSpikeScan,
  type ChurnSpikeTest,
} from './spike.js'
