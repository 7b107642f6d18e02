import { METRICS_ERROR_CODES, metricsError } from './errors.js'
import { compareGroups, GROUP_BYS, groupAt, type GroupBy } from './groups.js'
import { addPeriods, periodLabel, periodStartOf } from './periods.js'
import { rate } from './rates.js'
import { buildTimelines, COUNT_CHURN_AT, isCustomerStatus, stateBefore, type BillingHistory, type CountChurnAt, type Timeline } from './timeline.js'

export interface RetentionOptions {
  /** Epoch ms; events after it are ignored and months starting after it are not reported. */
  asOf: number
  cohort: 'month'
  /** When a customer stops being retained (default 'end'); see ADR 0014. */
  countChurnAt?: CountChurnAt
  /** Also split the cohorts by this dimension, as of each customer's first start. */
  groupBy?: GroupBy
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
  /** retainedMrr[0] = the cohort's MRR at each first start; retainedMrr[k] = MRR of the customers in retained[k], expansion included. */
  retainedMrr: number[]
  /** retainedMrr[k] / retainedMrr[0] (above 1 when expansion outgrows churn); null when the cohort started at 0 MRR. */
  retainedMrrRate: Array<number | null>
}

/** The cohorts of one group (null: the value was unknown at acquisition). */
export interface CohortGroup {
  group: string | null
  cohorts: CohortRow[]
}

/** Monthly acquisition cohorts and how many of each are still customers at each later month start, as of asOf (epoch ms). */
export function retentionCohorts(histories: readonly BillingHistory[], options: RetentionOptions): CohortRow[] {
  return retentionReport(histories, options).cohorts
}

/** retentionCohorts and, with `groupBy`, the same table per group of each customer at its first start. */
export function retentionReport(histories: readonly BillingHistory[], options: RetentionOptions): { cohorts: CohortRow[]; groups: CohortGroup[] } {
  validateRetentionOptions(options)
  return retentionReportOf(buildTimelines(histories), options)
}

/** retentionReport over timelines already built with buildTimelines (ADR 0014); events after asOf are not read. */
export function retentionReportFromTimelines(timelines: readonly Timeline[], options: RetentionOptions): { cohorts: CohortRow[]; groups: CohortGroup[] } {
  validateRetentionOptions(options)
  return retentionReportOf(timelines, options)
}

function validateRetentionOptions(options: RetentionOptions): void {
  const { asOf, cohort, countChurnAt = 'end', groupBy } = options
  if (!Number.isFinite(asOf)) throw metricsError(METRICS_ERROR_CODES.invalidOptions, 'asOf must be finite epoch milliseconds')
  if (cohort !== 'month') throw metricsError(METRICS_ERROR_CODES.invalidOptions, "cohort must be 'month'")
  if (!COUNT_CHURN_AT.includes(countChurnAt)) throw metricsError(METRICS_ERROR_CODES.invalidOptions, `countChurnAt must be one of ${COUNT_CHURN_AT.join(', ')}`)
  if (groupBy !== undefined && !GROUP_BYS.includes(groupBy)) throw metricsError(METRICS_ERROR_CODES.invalidOptions, `groupBy must be one of ${GROUP_BYS.join(', ')}`)
}

function retentionReportOf(timelines: readonly Timeline[], options: RetentionOptions): { cohorts: CohortRow[]; groups: CohortGroup[] } {
  const { asOf, countChurnAt = 'end', groupBy } = options
  const members: Array<{ timeline: Timeline; month: number; startMrr: number; group: string | null }> = []
  for (const timeline of timelines) {
    // Events at asOf are known at asOf, as in subscriptionStateAt; epoch ms are integers.
    const first = timeline.transitions.find((t) => t.before.firstStartedAt === null && t.after.firstStartedAt !== null)
    if (!first || first.at > asOf) continue
    members.push({
      timeline,
      month: periodStartOf(first.at, 'month'),
      startMrr: first.after.mrr,
      group: groupBy ? groupAt(timeline, groupBy, first.at, true, first.after) : null,
    })
  }
  const table = (rows: typeof members): CohortRow[] => {
    const cohorts = new Map<number, typeof members>()
    for (const m of rows) {
      const list = cohorts.get(m.month)
      if (list) list.push(m)
      else cohorts.set(m.month, [m])
    }
    return [...cohorts]
      .sort(([a], [b]) => a - b)
      .map(([month, list]) => {
        const retained = [list.length]
        const startMrr = list.reduce((sum, m) => sum + m.startMrr, 0)
        const retainedMrr = [startMrr]
        for (let k = 1, monthStart = addPeriods(month, 'month', 1); monthStart <= asOf; monthStart = addPeriods(month, 'month', ++k)) {
          // "Active at the start" matches churnMetrics' customersAtStart: an end at the instant the
          // month starts belongs to that month, so the customer still counts here.
          let n = 0
          let mrr = 0
          for (const m of list) {
            const state = stateBefore(m.timeline, monthStart)
            if (isCustomerStatus(state, countChurnAt)) {
              n += 1
              mrr += state.mrr
            }
          }
          retained.push(n)
          retainedMrr.push(mrr)
        }
        return {
          cohort: periodLabel(month, 'month'),
          size: list.length,
          retained,
          retainedRate: retained.map((n) => rate(n, list.length) ?? 0),
          retainedMrr,
          retainedMrrRate: retainedMrr.map((mrr) => rate(mrr, startMrr)),
        }
      })
  }
  const byGroup = new Map<string | null, typeof members>()
  if (groupBy) {
    for (const m of members) {
      const list = byGroup.get(m.group)
      if (list) list.push(m)
      else byGroup.set(m.group, [m])
    }
  }
  return {
    cohorts: table(members),
    groups: [...byGroup.keys()].sort(compareGroups).map((group) => ({ group, cohorts: table(byGroup.get(group) ?? []) })),
  }
}
