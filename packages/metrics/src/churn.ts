import { addPeriods as addContractPeriods, MS_PER_DAY, type SubscriptionState } from '@churnwatch/features'
import { METRICS_ERROR_CODES, metricsError } from './errors.js'
import { compareGroups, GROUP_BYS, groupAt, type GroupBy } from './groups.js'
import { addPeriods, CHURN_INTERVALS, periodLabel, periodStartOf, type ChurnInterval } from './periods.js'
import { rate, roundRate } from './rates.js'
import {
  buildTimelines,
  COUNT_CHURN_AT,
  isCustomerStatus,
  lowerBound,
  stateBefore,
  type BillingHistory,
  type CountChurnAt,
  type Timeline,
  type Transition,
} from './timeline.js'

/** An end at most this many days after the start of the customer's current active spell is early churn. */
export const EARLY_CHURN_DAYS = 90

export interface ChurnMetricsOptions {
  /** Epoch ms, inclusive; rounded down to the start of its period. */
  from: number
  /** Epoch ms, exclusive; events at or after it are ignored and the last period is cut at it. */
  to: number
  interval: ChurnInterval
  /** When a customer stops counting (default 'end', the model's label); see ADR 0014. */
  countChurnAt?: CountChurnAt
  /** Gross margin in (0, 1] for the margin-adjusted LTV (default 1). */
  grossMargin?: number
  /** Also split every figure by this dimension (ADR 0014 says which value a customer takes). */
  groupBy?: GroupBy
}

/** Early churn by tenure at churn, in days: (0, 7], (7, 30], (30, 90]. */
export interface EarlyChurnByTenure {
  days0to7: number
  days8to30: number
  days31to90: number
}

/** MRR movements of every customer in the period (the MRR bridge): mrrAtStart + in - out = mrrAtEnd. */
export interface MrrMovements {
  newMrr: number
  expansionMrr: number
  reactivationMrr: number
  contractionMrr: number
  churnedMrr: number
}

export type ChurnKind = keyof ChurnKindSplit

/** Departure decisions of one reason and kind: how many, and the MRR they held just before the decision. */
export interface CancellationReasonRow {
  reason: string
  kind: ChurnKind
  count: number
  mrr: number
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
  /** The same decisions by reason and the decision event's `voluntary`, with the MRR just before each; sorted by reason, kind. */
  cancellationsByReason: CancellationReasonRow[]
  /** Customers just before `end`, and their MRR (the next period's customersAtStart / mrrAtStart). */
  customersAtEnd: number
  mrrAtEnd: number
  /** Average revenue per account: mrrAtStart / customersAtStart, rounded to minor units; null without customers. */
  arpa: number | null
  /** customerChurnRate as a monthly rate: 1 - (1 - rate)^(1 / months in the period); equal to it for a whole month. */
  monthlyCustomerChurnRate: number | null
  /** ARPA / monthlyCustomerChurnRate, minor units; null without churn (unbounded) or customers. */
  ltv: number | null
  /** ltv x grossMargin. */
  ltvGrossMargin: number | null
  /** Gross revenue retention: (mrrAtStart - churnedMrr - contractionMrr) / mrrAtStart. */
  grr: number | null
  /** Net revenue retention: (mrrAtStart - churnedMrr - contractionMrr + expansionMrr) / mrrAtStart. */
  nrr: number | null
  /** GRR and NRR of the 12 calendar months ending at `end`, for the customers active 12 months before it. */
  grrTrailing12m: number | null
  nrrTrailing12m: number | null
  /** Movements of every customer, not only those at start (new and reactivated ones' changes and ends included). */
  movements: MrrMovements
  /** (newMrr + expansionMrr + reactivationMrr) / (churnedMrr + contractionMrr) over `movements`; null when nothing was lost. */
  quickRatio: number | null
  /** Starts in the period (newCustomers + reactivations) that churned within 90 days, by tenure, seen up to `to`. */
  earlyChurnByTenure: EarlyChurnByTenure
  /** (days0to7 + days8to30 + days31to90) / (newCustomers + reactivations); null without starts. */
  earlyChurnRate: number | null
  /** True when `to` lies at least 90 days after `end`: every start of the period has been followed for 90 days. */
  earlyChurnMature: boolean
}

/** The figures of one group (null: the value was unknown) over the same periods as the totals. */
export interface ChurnGroup {
  group: string | null
  periods: ChurnPeriod[]
}

/** Totals per period and, with `groupBy`, the same per group (groups sum to the totals' counts and MRR). */
export interface ChurnReport {
  periods: ChurnPeriod[]
  groups: ChurnGroup[]
}

const UNKNOWN_REASON = 'unknown'
const DAYS_PER_MONTH = 365.25 / 12
const EARLY_BUCKETS: ReadonlyArray<[keyof EarlyChurnByTenure, number]> = [
  ['days0to7', 7],
  ['days8to30', 30],
  ['days31to90', EARLY_CHURN_DAYS],
]
const KINDS: readonly ChurnKind[] = ['voluntary', 'involuntary', 'unknown']
const YEAR = { interval: 'year', count: 1 } as const

/**
 * Churn and MRR churn per UTC period from `from` to `to` (epoch ms), by default under the model's
 * churn definition (churn at subscription_ended). Pure: every instant comes from the options.
 */
export function churnMetrics(histories: readonly BillingHistory[], options: ChurnMetricsOptions): ChurnPeriod[] {
  return churnReport(histories, options).periods
}

/** churnMetrics' periods and, with `groupBy`, the same figures per group (ADR 0014). */
export function churnReport(histories: readonly BillingHistory[], options: ChurnMetricsOptions): ChurnReport {
  validateChurnOptions(options)
  return churnReportOf(buildTimelines(histories), options)
}

/**
 * churnReport over timelines already built with buildTimelines, for a caller that keeps them
 * between calls (ADR 0014). Timelines may hold events at or after `to`: none of them is read.
 */
export function churnReportFromTimelines(timelines: readonly Timeline[], options: ChurnMetricsOptions): ChurnReport {
  validateChurnOptions(options)
  return churnReportOf(timelines, options)
}

function validateChurnOptions(options: ChurnMetricsOptions): void {
  const { from, to, interval, countChurnAt = 'end', grossMargin = 1, groupBy } = options
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw metricsError(METRICS_ERROR_CODES.invalidOptions, 'from and to must be finite epoch milliseconds')
  }
  if (from > to) throw metricsError(METRICS_ERROR_CODES.invalidOptions, `from (${from}) is after to (${to})`)
  if (!CHURN_INTERVALS.includes(interval)) {
    throw metricsError(METRICS_ERROR_CODES.invalidOptions, `interval must be one of ${CHURN_INTERVALS.join(', ')}`)
  }
  if (!COUNT_CHURN_AT.includes(countChurnAt)) throw metricsError(METRICS_ERROR_CODES.invalidOptions, `countChurnAt must be one of ${COUNT_CHURN_AT.join(', ')}`)
  if (!(grossMargin > 0 && grossMargin <= 1)) throw metricsError(METRICS_ERROR_CODES.invalidOptions, 'grossMargin must be in (0, 1]')
  if (groupBy !== undefined && !GROUP_BYS.includes(groupBy)) throw metricsError(METRICS_ERROR_CODES.invalidOptions, `groupBy must be one of ${GROUP_BYS.join(', ')}`)
}

function churnReportOf(timelines: readonly Timeline[], options: ChurnMetricsOptions): ChurnReport {
  const { from, to, interval, countChurnAt = 'end', grossMargin = 1, groupBy } = options
  const windows: Array<{ start: number; end: number }> = []
  for (let start = periodStartOf(from, interval); start < to; start = addPeriods(start, interval, 1)) {
    windows.push({ start, end: Math.min(addPeriods(start, interval, 1), to) })
  }
  const totals = windows.map(() => ({ period: newAccumulator(), trailing: newAccumulator() }))
  const groups = new Map<string | null, Array<{ period: Accumulator; trailing: Accumulator }>>()
  const groupAccumulators = (key: string | null) => {
    let accs = groups.get(key)
    if (!accs) groups.set(key, (accs = windows.map(() => ({ period: newAccumulator(), trailing: newAccumulator() }))))
    return accs
  }

  const trailingStarts = windows.map(({ end }) => addContractPeriods(end, YEAR, -1))
  // Customers outer, periods inner: one customer's transitions stay in cache across its periods.
  for (const timeline of timelines) {
    const { transitions } = timeline
    for (let i = 0; i < windows.length; i++) {
      const { start, end } = windows[i] ?? { start: 0, end: 0 }
      const trailingStart = trailingStarts[i] ?? 0
      const total = totals[i] ?? { period: newAccumulator(), trailing: newAccumulator() }
      const first = lowerBound(transitions, start)
      const atStart = transitions[first - 1]?.after ?? stateBefore(timeline, start)
      if ((transitions[first]?.at ?? Number.POSITIVE_INFINITY) >= end) {
        // Nothing happens to this customer in the period (most customers, most periods): it only
        // adds its start figures, without a scan.
        if (isCustomerStatus(atStart, countChurnAt)) {
          addSteady(total.period, atStart.mrr)
          if (groupBy) addSteady(groupAccumulators(groupAt(timeline, groupBy, start, false, atStart))[i]?.period, atStart.mrr)
        }
      } else {
        const scan = scanWindow(timeline, start, end, to, countChurnAt)
        if (scan) {
          addScan(total.period, scan)
          if (groupBy) addScan(groupAccumulators(groupAt(timeline, groupBy, scan.groupAt, scan.groupInclusive, scan.groupState))[i]?.period, scan)
        }
      }
      // The trailing window only needs the customers at its start (its GRR / NRR cohort).
      const trailingFirst = lowerBound(transitions, trailingStart)
      const atTrailingStart = transitions[trailingFirst - 1]?.after ?? stateBefore(timeline, trailingStart)
      if (!isCustomerStatus(atTrailingStart, countChurnAt)) continue
      const trailingGroup = () => (groupBy ? groupAccumulators(groupAt(timeline, groupBy, trailingStart, false, atTrailingStart))[i]?.trailing : undefined)
      if ((transitions[trailingFirst]?.at ?? Number.POSITIVE_INFINITY) >= end) {
        addSteady(total.trailing, atTrailingStart.mrr)
        addSteady(trailingGroup(), atTrailingStart.mrr)
      } else {
        const trailing = scanWindow(timeline, trailingStart, end, to, countChurnAt)
        if (trailing) {
          addScan(total.trailing, trailing)
          addScan(trailingGroup(), trailing)
        }
      }
    }
  }

  const finish = (accs: ReadonlyArray<{ period: Accumulator; trailing: Accumulator }>) =>
    windows.map(({ start, end }, i) => {
      const acc = accs[i] ?? { period: newAccumulator(), trailing: newAccumulator() }
      return finishRow(acc.period, acc.trailing, { start, end, to, interval, grossMargin })
    })
  return {
    periods: finish(totals),
    groups: [...groups.keys()].sort(compareGroups).map((group) => ({ group, periods: finish(groups.get(group) ?? []) })),
  }
}

interface Accumulator {
  customersAtStart: number
  mrrAtStart: number
  customersAtEnd: number
  mrrAtEnd: number
  newCustomers: number
  newMrr: number
  reactivations: number
  reactivationMrr: number
  expansionMrr: number
  contractionMrr: number
  churned: number
  churnedNewInPeriod: number
  churnedMrr: number
  churnedByKind: ChurnKindSplit
  churnedMrrByKind: ChurnKindSplit
  earlyChurn: number
  earlyChurnByTenure: EarlyChurnByTenure
  movements: MrrMovements
  /** reason -> kind -> [count, mrr]; null until a decision is counted (most scans have none). */
  reasons: Map<string, Map<ChurnKind, [number, number]>> | null
}

function newAccumulator(): Accumulator {
  return {
    customersAtStart: 0,
    mrrAtStart: 0,
    customersAtEnd: 0,
    mrrAtEnd: 0,
    newCustomers: 0,
    newMrr: 0,
    reactivations: 0,
    reactivationMrr: 0,
    expansionMrr: 0,
    contractionMrr: 0,
    churned: 0,
    churnedNewInPeriod: 0,
    churnedMrr: 0,
    churnedByKind: { voluntary: 0, involuntary: 0, unknown: 0 },
    churnedMrrByKind: { voluntary: 0, involuntary: 0, unknown: 0 },
    earlyChurn: 0,
    earlyChurnByTenure: { days0to7: 0, days8to30: 0, days31to90: 0 },
    movements: { newMrr: 0, expansionMrr: 0, reactivationMrr: 0, contractionMrr: 0, churnedMrr: 0 },
    reasons: null,
  }
}

/** One customer's contribution to one window, and the instant (and state) that decides its group. */
interface WindowScan extends Accumulator {
  groupAt: number
  groupInclusive: boolean
  groupState: SubscriptionState
}

const kindOf = (voluntary: boolean | null): ChurnKind => (voluntary === null ? 'unknown' : voluntary ? 'voluntary' : 'involuntary')

/**
 * Scans one customer's transitions in [start, end). null when the customer is neither a customer
 * at start nor joins in the window (it then contributes nothing).
 */
function scanWindow(timeline: Timeline, start: number, end: number, to: number, countChurnAt: CountChurnAt): WindowScan | null {
  const isCustomer = (s: SubscriptionState) => isCustomerStatus(s, countChurnAt)
  const transitions = timeline.transitions
  const first = lowerBound(transitions, start)
  const atStart = transitions[first - 1]?.after ?? stateBefore(timeline, start)
  const activeAtStart = isCustomer(atStart)
  const scan: WindowScan = Object.assign(newAccumulator(), { groupAt: start, groupInclusive: false, groupState: atStart })
  let joined = activeAtStart
  if (activeAtStart) {
    scan.customersAtStart = 1
    scan.mrrAtStart = atStart.mrr
  }
  const countReason = (reason: string | null, kind: ChurnKind, mrr: number) => {
    const key = reason ?? UNKNOWN_REASON
    const reasons = (scan.reasons ??= new Map<string, Map<ChurnKind, [number, number]>>())
    let byKind = reasons.get(key)
    if (!byKind) reasons.set(key, (byKind = new Map<ChurnKind, [number, number]>()))
    const cell = byKind.get(kind) ?? [0, 0]
    byKind.set(kind, [cell[0] + 1, cell[1] + mrr])
  }
  // The rate's cohort is the customers active at start; once one churns, later movements in the
  // period (a reactivation, its upgrades) are new business, not this cohort's retention.
  let inStartSpell = activeAtStart
  let ended = false
  let early = false
  let last = atStart
  for (let i = first; i < transitions.length; i++) {
    const t = transitions[i]
    if (!t || t.at >= end) break
    const { before, after } = t
    last = after
    const was = isCustomer(before)
    const is = isCustomer(after)
    if (!was && is && !joined) {
      joined = true
      scan.groupAt = t.at
      scan.groupInclusive = true
      scan.groupState = after
    }
    if (before.firstStartedAt === null && after.firstStartedAt !== null) {
      scan.newCustomers += 1
      scan.newMrr += after.mrr
      scan.movements.newMrr += after.mrr
      addEarlyChurn(scan, transitions, i, to, countChurnAt)
    } else if (!was && is) {
      scan.reactivations += 1
      scan.reactivationMrr += after.mrr
      scan.movements.reactivationMrr += after.mrr
      addEarlyChurn(scan, transitions, i, to, countChurnAt)
    } else if (was && is) {
      const delta = after.mrr - before.mrr
      if (delta > 0) scan.movements.expansionMrr += delta
      else scan.movements.contractionMrr -= delta
      if (inStartSpell) {
        if (delta > 0) scan.expansionMrr += delta
        else scan.contractionMrr -= delta
      }
    }
    // Departure decisions, whatever countChurnAt: a cancel when made, and an end nobody announced
    // (typically a failed payment); an end after a cancel was counted at the cancel.
    if (before.status === 'active' && (after.status === 'canceling' || after.status === 'ended')) {
      countReason(after.status === 'ended' ? after.endReason : t.reason, kindOf(t.voluntary), before.mrr)
    }
    if (was && !is) {
      scan.movements.churnedMrr += before.mrr
      if (inStartSpell) {
        inStartSpell = false
        const kind = kindOf(t.voluntary)
        scan.churned += 1
        scan.churnedMrr += before.mrr
        scan.churnedByKind[kind] += 1
        scan.churnedMrrByKind[kind] += before.mrr
      }
      ended = true
      const spellStart = before.currentStartedAt
      if (spellStart !== null && t.at - spellStart <= EARLY_CHURN_DAYS * MS_PER_DAY) early = true
    }
  }
  if (!joined) return null
  if (ended && !activeAtStart) scan.churnedNewInPeriod = 1
  if (early) scan.earlyChurn = 1
  if (isCustomer(last)) {
    scan.customersAtEnd = 1
    scan.mrrAtEnd = last.mrr
  }
  return scan
}

/** Follows the start at transitions[i] to its churn (before `to`) and counts it in its tenure bucket. */
function addEarlyChurn(scan: Accumulator, transitions: readonly Transition[], i: number, to: number, countChurnAt: CountChurnAt): void {
  const startedAt = transitions[i]?.at ?? 0
  for (let j = i + 1; j < transitions.length; j++) {
    const t = transitions[j]
    if (!t || t.at >= to || t.at - startedAt > EARLY_CHURN_DAYS * MS_PER_DAY) return
    if (isCustomerStatus(t.before, countChurnAt) && !isCustomerStatus(t.after, countChurnAt)) {
      const bucket = EARLY_BUCKETS.find(([, days]) => t.at - startedAt <= days * MS_PER_DAY)
      if (bucket) scan.earlyChurnByTenure[bucket[0]] += 1
      return
    }
  }
}

/** A customer at start with no event in the window: at start and at end with the same MRR. */
function addSteady(acc: Accumulator | undefined, mrr: number): void {
  if (!acc) return
  acc.customersAtStart += 1
  acc.mrrAtStart += mrr
  acc.customersAtEnd += 1
  acc.mrrAtEnd += mrr
}

const SUMMED = [
  'customersAtStart',
  'mrrAtStart',
  'customersAtEnd',
  'mrrAtEnd',
  'newCustomers',
  'newMrr',
  'reactivations',
  'reactivationMrr',
  'expansionMrr',
  'contractionMrr',
  'churned',
  'churnedNewInPeriod',
  'churnedMrr',
  'earlyChurn',
] as const

function addScan(acc: Accumulator | undefined, scan: Accumulator): void {
  if (!acc) return
  for (const key of SUMMED) {
    acc[key] += scan[key]
  }
  for (const kind of KINDS) {
    acc.churnedByKind[kind] += scan.churnedByKind[kind]
    acc.churnedMrrByKind[kind] += scan.churnedMrrByKind[kind]
  }
  const e = acc.earlyChurnByTenure
  e.days0to7 += scan.earlyChurnByTenure.days0to7
  e.days8to30 += scan.earlyChurnByTenure.days8to30
  e.days31to90 += scan.earlyChurnByTenure.days31to90
  const m = acc.movements
  m.newMrr += scan.movements.newMrr
  m.expansionMrr += scan.movements.expansionMrr
  m.reactivationMrr += scan.movements.reactivationMrr
  m.contractionMrr += scan.movements.contractionMrr
  m.churnedMrr += scan.movements.churnedMrr
  for (const [reason, byKind] of scan.reasons ?? []) {
    const reasons = (acc.reasons ??= new Map<string, Map<ChurnKind, [number, number]>>())
    let target = reasons.get(reason)
    if (!target) reasons.set(reason, (target = new Map<ChurnKind, [number, number]>()))
    for (const [kind, [count, mrr]] of byKind) {
      const cell = target.get(kind) ?? [0, 0]
      target.set(kind, [cell[0] + count, cell[1] + mrr])
    }
  }
}

/** Months in [start, end): a whole month is 1, a quarter 3, a week 7 / 30.4375; a period cut at `to` pro rata. */
function monthsIn(start: number, end: number, interval: ChurnInterval): number {
  const full = interval === 'month' ? 1 : interval === 'quarter' ? 3 : 7 / DAYS_PER_MONTH
  const fullEnd = addPeriods(start, interval, 1)
  return end === fullEnd ? full : (full * (end - start)) / (fullEnd - start)
}

function finishRow(
  acc: Accumulator,
  trailing: Accumulator,
  window: { start: number; end: number; to: number; interval: ChurnInterval; grossMargin: number },
): ChurnPeriod {
  const { start, end, to, interval, grossMargin } = window
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  const reasons = [...(acc.reasons?.keys() ?? [])].sort(compare)
  const cancellationsByReason: CancellationReasonRow[] = []
  for (const reason of reasons) {
    const byKind = acc.reasons?.get(reason)
    for (const kind of KINDS) {
      const cell = byKind?.get(kind)
      if (cell) cancellationsByReason.push({ reason, kind, count: cell[0], mrr: cell[1] })
    }
  }
  let arpa: number | null = null
  let monthly: number | null = null
  let ltv: number | null = null
  let ltvGrossMargin: number | null = null
  if (acc.customersAtStart > 0) {
    const arpaExact = acc.mrrAtStart / acc.customersAtStart
    arpa = Math.round(arpaExact)
    const monthlyExact = 1 - (1 - acc.churned / acc.customersAtStart) ** (1 / monthsIn(start, end, interval))
    monthly = roundRate(monthlyExact)
    if (acc.churned > 0) {
      ltv = Math.round(arpaExact / monthlyExact)
      ltvGrossMargin = Math.round((arpaExact / monthlyExact) * grossMargin)
    }
  }
  const m = acc.movements
  const starts = acc.newCustomers + acc.reactivations
  const e = acc.earlyChurnByTenure
  return {
    period: periodLabel(start, interval),
    start,
    end,
    customersAtStart: acc.customersAtStart,
    newCustomers: acc.newCustomers,
    reactivations: acc.reactivations,
    churned: acc.churned,
    churnedNewInPeriod: acc.churnedNewInPeriod,
    customerChurnRate: rate(acc.churned, acc.customersAtStart),
    mrrAtStart: acc.mrrAtStart,
    newMrr: acc.newMrr,
    reactivationMrr: acc.reactivationMrr,
    expansionMrr: acc.expansionMrr,
    contractionMrr: acc.contractionMrr,
    churnedMrr: acc.churnedMrr,
    grossMrrChurnRate: rate(acc.churnedMrr + acc.contractionMrr, acc.mrrAtStart),
    netMrrChurnRate: rate(acc.churnedMrr + acc.contractionMrr - acc.expansionMrr, acc.mrrAtStart),
    churnedByKind: acc.churnedByKind,
    churnedMrrByKind: acc.churnedMrrByKind,
    earlyChurn: acc.earlyChurn,
    cancellationReasons: Object.fromEntries(reasons.map((r) => [r, [...(acc.reasons?.get(r)?.values() ?? [])].reduce((n, [count]) => n + count, 0)])),
    cancellationsByReason,
    customersAtEnd: acc.customersAtEnd,
    mrrAtEnd: acc.mrrAtEnd,
    arpa,
    monthlyCustomerChurnRate: monthly,
    ltv,
    ltvGrossMargin,
    grr: rate(acc.mrrAtStart - acc.churnedMrr - acc.contractionMrr, acc.mrrAtStart),
    nrr: rate(acc.mrrAtStart - acc.churnedMrr - acc.contractionMrr + acc.expansionMrr, acc.mrrAtStart),
    grrTrailing12m: rate(trailing.mrrAtStart - trailing.churnedMrr - trailing.contractionMrr, trailing.mrrAtStart),
    nrrTrailing12m: rate(trailing.mrrAtStart - trailing.churnedMrr - trailing.contractionMrr + trailing.expansionMrr, trailing.mrrAtStart),
    movements: m,
    quickRatio: rate(m.newMrr + m.expansionMrr + m.reactivationMrr, m.churnedMrr + m.contractionMrr),
    earlyChurnByTenure: e,
    earlyChurnRate: rate(e.days0to7 + e.days8to30 + e.days31to90, starts),
    earlyChurnMature: end + EARLY_CHURN_DAYS * MS_PER_DAY <= to,
  }
}
