// The public surface of @churnwatch/metrics: every export is named here.
export {
  churnMetrics,
  churnReport,
  churnReportFromTimelines,
  EARLY_CHURN_DAYS,
  type CancellationReasonRow,
  type ChurnGroup,
  type ChurnKind,
  type ChurnKindSplit,
  type ChurnMetricsOptions,
  type ChurnPeriod,
  type ChurnReport,
  type EarlyChurnByTenure,
  type MrrMovements,
} from './churn.js'
export { retentionCohorts, retentionReport, retentionReportFromTimelines, type CohortGroup, type CohortRow, type RetentionOptions } from './cohorts.js'
export { GROUP_BYS, type GroupBy } from './groups.js'
export { CHURN_INTERVALS, type ChurnInterval } from './periods.js'
export { buildTimelines, COUNT_CHURN_AT, timelineBefore, type BillingHistory, type CountChurnAt, type Timeline } from './timeline.js'
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
