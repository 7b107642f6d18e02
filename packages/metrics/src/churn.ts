import { MS_PER_DAY } from '@churnwatch/features'
import { METRICS_ERROR_CODES, metricsError } from './errors.js'
import { addPeriods, CHURN_INTERVALS, periodLabel, periodStartOf, type ChurnInterval } from './periods.js'
import { rate } from './rates.js'
import { buildTimelines, isActiveStatus, stateBefore, transitionsIn, type BillingHistory, type Timeline } from './timeline.js'

/** An end at most this many days after the start of the customer's current active spell is early churn. */
export const EARLY_CHURN_DAYS = 90

export interface ChurnMetricsOptions {
  /** Epoch ms, inclusive; rounded down to the start of its period. */
  from: number
  /** Epoch ms, exclusive; events at or after it are ignored and the last period is cut at it. */
  to: number
  interval: ChurnInterval
}

/** Counts or MRR of churned customers, split by the end event's `voluntary` (absent = unknown). */
export interface ChurnKindSplit {
  voluntary: number
  involuntary: number
  unknown: number
}

/** Churn of one UTC period [start, end). Money in integer minor units; rates rounded to 6 decimals. */
export interface ChurnPeriod {
  /** 'YYYY-MM', ISO 'YYYY-Www' or 'YYYY-Qn'. */
  period: string
  start: number
  end: number
  /** Customers active (or canceling) just before `start`: the base every rate divides by. */
  customersAtStart: number
  /** Customers whose first ever start falls in the period. */
  newCustomers: number
  /** Returns to active after an end (subscription_reactivated, or a new subscription_started). */
  reactivations: number
  /** Customers active at start who ended in the period (each counted once). */
  churned: number
  /** Customers not active at start (new or reactivated in the period) who ended in it. */
  churnedNewInPeriod: number
  /** churned / customersAtStart; null when customersAtStart is 0. */
  customerChurnRate: number | null
  mrrAtStart: number
  /** MRR of new customers at their first start. */
  newMrr: number
  /** MRR of reactivated customers at their reactivation. */
  reactivationMrr: number
  /** MRR increases of customers active at start, before any end of theirs in the period. */
  expansionMrr: number
  /** MRR decreases of customers active at start, before any end of theirs in the period. */
  contractionMrr: number
  /** MRR just before the end, of the customers counted in `churned`. */
  churnedMrr: number
  /** (churnedMrr + contractionMrr) / mrrAtStart; null when mrrAtStart is 0. */
  grossMrrChurnRate: number | null
  /** (churnedMrr + contractionMrr - expansionMrr) / mrrAtStart; negative when expansion wins. */
  netMrrChurnRate: number | null
  churnedByKind: ChurnKindSplit
  churnedMrrByKind: ChurnKindSplit
  /** Customers ending in the period (churned or churnedNewInPeriod) within EARLY_CHURN_DAYS of their current start. */
  earlyChurn: number
  /** Departure decisions made in the period by reason: cancels, plus ends with no pending cancel. */
  cancellationReasons: Record<string, number>
}

const UNKNOWN_REASON = 'unknown'

/**
 * Churn and MRR churn per UTC period from `from` to `to` (epoch ms) under the model's churn
 * definition (churn at subscription_ended). Pure: every instant comes from the options.
 */
export function churnMetrics(histories: readonly BillingHistory[], options: ChurnMetricsOptions): ChurnPeriod[] {
  const { from, to, interval } = options
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw metricsError(METRICS_ERROR_CODES.invalidOptions, 'from and to must be finite epoch milliseconds')
  }
  if (from > to) throw metricsError(METRICS_ERROR_CODES.invalidOptions, `from (${from}) is after to (${to})`)
  if (!CHURN_INTERVALS.includes(interval)) {
    throw metricsError(METRICS_ERROR_CODES.invalidOptions, `interval must be one of ${CHURN_INTERVALS.join(', ')}`)
  }
  const timelines = buildTimelines(histories)
  const rows: ChurnPeriod[] = []
  for (let start = periodStartOf(from, interval); start < to; start = addPeriods(start, interval, 1)) {
    rows.push(periodRow(timelines, start, Math.min(addPeriods(start, interval, 1), to), interval))
  }
  return rows
}

function periodRow(timelines: readonly Timeline[], start: number, end: number, interval: ChurnInterval): ChurnPeriod {
  const row: ChurnPeriod = {
    period: periodLabel(start, interval),
    start,
    end,
    customersAtStart: 0,
    newCustomers: 0,
    reactivations: 0,
    churned: 0,
    churnedNewInPeriod: 0,
    customerChurnRate: null,
    mrrAtStart: 0,
    newMrr: 0,
    reactivationMrr: 0,
    expansionMrr: 0,
    contractionMrr: 0,
    churnedMrr: 0,
    grossMrrChurnRate: null,
    netMrrChurnRate: null,
    churnedByKind: { voluntary: 0, involuntary: 0, unknown: 0 },
    churnedMrrByKind: { voluntary: 0, involuntary: 0, unknown: 0 },
    earlyChurn: 0,
    cancellationReasons: {},
  }
  const reasons = new Map<string, number>()
  const countReason = (reason: string | null) => {
    const key = reason ?? UNKNOWN_REASON
    reasons.set(key, (reasons.get(key) ?? 0) + 1)
  }

  for (const timeline of timelines) {
    const atStart = stateBefore(timeline, start)
    const activeAtStart = isActiveStatus(atStart)
    if (activeAtStart) {
      row.customersAtStart += 1
      row.mrrAtStart += atStart.mrr
    }
    // The rate's cohort is the customers active at start; once one ends, later movements in the
    // period (a reactivation, its upgrades) are new business, not this cohort's retention.
    let inStartSpell = activeAtStart
    let ended = false
    let early = false
    for (const { before, after, reason } of transitionsIn(timeline, start, end)) {
      const wasActive = isActiveStatus(before)
      const isActive = isActiveStatus(after)
      if (before.firstStartedAt === null && after.firstStartedAt !== null) {
        row.newCustomers += 1
        row.newMrr += after.mrr
      } else if (before.status === 'ended' && isActive) {
        row.reactivations += 1
        row.reactivationMrr += after.mrr
      } else if (wasActive && isActive && inStartSpell) {
        const delta = after.mrr - before.mrr
        if (delta > 0) row.expansionMrr += delta
        else row.contractionMrr -= delta
      }
      if (before.status === 'active' && after.status === 'canceling') countReason(reason)
      if (wasActive && after.status === 'ended') {
        // A cancel already counted its reason when it was made; only unannounced ends
        // (typically failed payments) bring their own.
        if (before.status === 'active') countReason(after.endReason)
        if (inStartSpell) {
          inStartSpell = false
          row.churned += 1
          row.churnedMrr += before.mrr
          const kind = after.endVoluntary === null ? 'unknown' : after.endVoluntary ? 'voluntary' : 'involuntary'
          row.churnedByKind[kind] += 1
          row.churnedMrrByKind[kind] += before.mrr
        }
        ended = true
        const spellStart = before.currentStartedAt
        if (spellStart !== null && after.endedAt !== null && after.endedAt - spellStart <= EARLY_CHURN_DAYS * MS_PER_DAY) {
          early = true
        }
      }
    }
    if (ended && !activeAtStart) row.churnedNewInPeriod += 1
    if (early) row.earlyChurn += 1
  }

  row.customerChurnRate = rate(row.churned, row.customersAtStart)
  row.grossMrrChurnRate = rate(row.churnedMrr + row.contractionMrr, row.mrrAtStart)
  row.netMrrChurnRate = rate(row.churnedMrr + row.contractionMrr - row.expansionMrr, row.mrrAtStart)
  row.cancellationReasons = Object.fromEntries([...reasons].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return row
}
