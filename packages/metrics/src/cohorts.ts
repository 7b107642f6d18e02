import { METRICS_ERROR_CODES, metricsError } from './errors.js'
import { addPeriods, periodLabel, periodStartOf } from './periods.js'
import { rate } from './rates.js'
import { buildTimelines, isActiveStatus, stateBefore, type BillingHistory, type Timeline } from './timeline.js'

export interface RetentionOptions {
  /** Epoch ms; events after it are ignored and months starting after it are not reported. */
  asOf: number
  cohort: 'month'
}

/** One acquisition cohort: customers whose first start falls in the UTC month `cohort`. */
export interface CohortRow {
  /** 'YYYY-MM' of the first subscription start. */
  cohort: string
  size: number
  /**
   * retained[0] = size; retained[k] = cohort customers active (or canceling) just before the
   * start of month k after the acquisition month, reactivated customers included.
   */
  retained: number[]
  /** retained[k] / size, rounded to 6 decimals. */
  retainedRate: number[]
}

/** Monthly acquisition cohorts and how many of each are still customers at each later month start, as of asOf (epoch ms). */
export function retentionCohorts(histories: readonly BillingHistory[], options: RetentionOptions): CohortRow[] {
  const { asOf, cohort } = options
  if (!Number.isFinite(asOf)) throw metricsError(METRICS_ERROR_CODES.invalidOptions, 'asOf must be finite epoch milliseconds')
  if (cohort !== 'month') throw metricsError(METRICS_ERROR_CODES.invalidOptions, "cohort must be 'month'")

  const cohorts = new Map<number, Timeline[]>()
  for (const timeline of buildTimelines(histories)) {
    // Events at asOf are known at asOf, as in subscriptionStateAt; epoch ms are integers.
    const firstStartedAt = stateBefore(timeline, asOf + 1).firstStartedAt
    if (firstStartedAt === null) continue
    const month = periodStartOf(firstStartedAt, 'month')
    const members = cohorts.get(month)
    if (members) members.push(timeline)
    else cohorts.set(month, [timeline])
  }

  return [...cohorts]
    .sort(([a], [b]) => a - b)
    .map(([month, members]) => {
      const retained = [members.length]
      for (let k = 1, monthStart = addPeriods(month, 'month', 1); monthStart <= asOf; monthStart = addPeriods(month, 'month', ++k)) {
        // "Active at the start" matches churnMetrics' customersAtStart: an end at the instant the
        // month starts belongs to that month, so the customer still counts here.
        retained.push(members.filter((t) => isActiveStatus(stateBefore(t, monthStart))).length)
      }
      return {
        cohort: periodLabel(month, 'month'),
        size: members.length,
        retained,
        retainedRate: retained.map((n) => rate(n, members.length) ?? 0),
      }
    })
}
