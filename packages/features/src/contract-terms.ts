import type { BillingInterval } from '@churnwatch/contract'
import type { BillingRecord } from './history.js'
import { subscriptionStateAt, type SubscriptionState } from './subscription.js'
import { MS_PER_DAY } from './time.js'

/** Where a customer's billing interval came from: sent, the last invoice's amount against MRR, or invoice cadence. */
export type IntervalSource = 'explicit' | 'amount' | 'cadence'

/** A customer's contract as of one instant, derived from billing events at or before it (ADR 0003). */
export interface ContractState {
  interval: BillingInterval | null
  intervalCount: number | null
  /** null when the interval is unknown (no terms sent, no invoice to infer from). */
  intervalSource: IntervalSource | null
  /** The next renewal: end of the period paid for, always after asOf when known (epoch ms). */
  currentPeriodEnd: number | null
  /** 'explicit' when a sent `currentPeriodEnd` still lies after asOf, else 'inferred'. */
  periodEndSource: 'explicit' | 'inferred' | null
  /** The latest `cancelAtPeriodEnd` sent; a start or reactivation without it resets it to false. */
  cancelAtPeriodEnd: boolean
  /** When a pending cancellation takes effect: the cancel's `effectiveAt`, else the period end; null when none is pending. */
  cancellationEffectiveAt: number | null
  /** Billing periods after the first that a paid invoice renewed, in the current period of activity. */
  renewalsSurvived: number
  /** When the latest survived renewal was due (epoch ms). */
  lastRenewalAt: number | null
  /** MRR (minor units) 14 days before the last renewal and 7 days after it (or at asOf, if sooner). */
  mrrBeforeLastRenewal: number | null
  mrrAfterLastRenewal: number | null
}

/** Relative tolerance for matching an invoice cadence or amount ratio to a billing period. */
export const PERIOD_TOLERANCE = 0.2
/** Window around the last renewal in which an MRR change counts as its price change. */
export const PRICE_CHANGE_BEFORE_DAYS = 14
export const PRICE_CHANGE_AFTER_DAYS = 7
/** An invoice paid this much before a renewal is due (10 % of the period, at most 14 days) renews it. */
const EARLY_RENEWAL_SHARE = 0.1
const MAX_EARLY_RENEWAL_MS = 14 * MS_PER_DAY

/** Days in an average calendar month. */
export const DAYS_PER_MONTH = 365.25 / 12

// The periods producers bill on, in the order they are tried (none overlaps another within the tolerance).
const KNOWN_PERIODS: ReadonlyArray<{ interval: BillingInterval; count: number; days: number }> = [
  { interval: 'day', count: 1, days: 1 },
  { interval: 'week', count: 1, days: 7 },
  { interval: 'month', count: 1, days: DAYS_PER_MONTH },
  { interval: 'month', count: 3, days: 3 * DAYS_PER_MONTH },
  { interval: 'month', count: 6, days: 6 * DAYS_PER_MONTH },
  { interval: 'year', count: 1, days: 365.25 },
]

/** A billing period: `count` intervals (Stripe's interval and interval_count). */
export type ContractPeriod = { interval: BillingInterval; count: number }

const SETS_MRR: ReadonlySet<string> = new Set(['subscription_started', 'subscription_changed', 'subscription_reactivated'])

const NO_CONTRACT: ContractState = {
  interval: null,
  intervalCount: null,
  intervalSource: null,
  currentPeriodEnd: null,
  periodEndSource: null,
  cancelAtPeriodEnd: false,
  cancellationEffectiveAt: null,
  renewalsSurvived: 0,
  lastRenewalAt: null,
  mrrBeforeLastRenewal: null,
  mrrAfterLastRenewal: null,
}

/**
 * Derives the contract as of `asOf` (epoch ms) from billing events sorted with `sortBilling`;
 * events after asOf are never read. Only the current period of activity counts (since the start,
 * or the reactivation after an end); a customer not active or canceling at asOf has no contract.
 * `subscription` is the state at asOf when the caller has already folded it.
 */
export function contractStateAt(
  sortedBilling: readonly BillingRecord[],
  asOf: number,
  subscription: SubscriptionState = subscriptionStateAt(sortedBilling, asOf),
): ContractState {
  const startedAt = subscription.currentStartedAt
  if ((subscription.status !== 'active' && subscription.status !== 'canceling') || startedAt === null) return { ...NO_CONTRACT }

  const mrrSteps: Array<{ at: number; mrr: number }> = []
  const paid: BillingRecord[] = []
  let explicitPeriod: ContractPeriod | null = null
  let explicitPeriodEnd: number | null = null
  let cancelAtPeriodEnd = false
  let cancelEffectiveAt: number | null = null
  for (const e of sortedBilling) {
    if (e.occurredAt > asOf) break
    // The MRR the subscription state folds (ADR 0003): set by starts, changes and reactivations only.
    if (typeof e.mrr === 'number' && SETS_MRR.has(e.type)) mrrSteps.push({ at: e.occurredAt, mrr: e.mrr })
    if (e.occurredAt < startedAt) continue
    if (e.type === 'invoice_paid') paid.push(e)
    if (e.interval) explicitPeriod = { interval: e.interval, count: e.intervalCount ?? 1 }
    if (typeof e.currentPeriodEnd === 'number') explicitPeriodEnd = e.currentPeriodEnd
    if (e.type === 'subscription_started' || e.type === 'subscription_reactivated') {
      cancelAtPeriodEnd = false
      cancelEffectiveAt = null
    }
    if (typeof e.cancelAtPeriodEnd === 'boolean') cancelAtPeriodEnd = e.cancelAtPeriodEnd
    if (e.type === 'subscription_canceled') cancelEffectiveAt = e.effectiveAt ?? null
  }
  const mrrAt = (t: number): number | null => {
    let value: number | null = null
    for (const step of mrrSteps) {
      if (step.at > t) break
      value = step.mrr
    }
    return value
  }

  const inferred = explicitPeriod ? null : inferPeriod(paid, mrrAt)
  const period = explicitPeriod ?? inferred?.period ?? null
  const intervalSource: IntervalSource | null = explicitPeriod ? 'explicit' : (inferred?.source ?? null)

  let currentPeriodEnd: number | null = null
  let periodEndSource: ContractState['periodEndSource'] = null
  if (explicitPeriodEnd !== null && explicitPeriodEnd > asOf) {
    currentPeriodEnd = explicitPeriodEnd
    periodEndSource = 'explicit'
  } else if (period) {
    // A sent period end that has passed with no later one is rolled forward on its own anchor;
    // otherwise the last paid period (or the start) plus whole periods.
    const anchor = explicitPeriodEnd ?? paid[paid.length - 1]?.occurredAt ?? startedAt
    currentPeriodEnd = firstBoundaryAfter(anchor, period, asOf)
    periodEndSource = 'inferred'
  }

  const renewals = period ? countRenewals(paid, period, asOf) : { count: Math.max(0, paid.length - 1), lastAt: paid.length > 1 ? (paid[paid.length - 1]?.occurredAt ?? null) : null }
  const lastRenewalAt = renewals.lastAt
  const pendingCancel = subscription.status === 'canceling' || cancelAtPeriodEnd
  return {
    interval: period?.interval ?? null,
    intervalCount: period?.count ?? null,
    intervalSource,
    currentPeriodEnd,
    periodEndSource,
    cancelAtPeriodEnd,
    cancellationEffectiveAt: pendingCancel ? (cancelEffectiveAt ?? currentPeriodEnd) : null,
    renewalsSurvived: renewals.count,
    lastRenewalAt,
    mrrBeforeLastRenewal: lastRenewalAt === null ? null : mrrAt(lastRenewalAt - PRICE_CHANGE_BEFORE_DAYS * MS_PER_DAY),
    mrrAfterLastRenewal: lastRenewalAt === null ? null : mrrAt(Math.min(asOf, lastRenewalAt + PRICE_CHANGE_AFTER_DAYS * MS_PER_DAY)),
  }
}

/**
 * The period when no producer sent one: the latest paid invoice's amount against the MRR at that
 * time first (it describes the current term, and needs one invoice), else the median gap between
 * paid invoices. Either must lie within PERIOD_TOLERANCE of a known period.
 */
function inferPeriod(
  paid: readonly BillingRecord[],
  mrrAt: (t: number) => number | null,
): { period: ContractPeriod; source: IntervalSource } | null {
  for (let i = paid.length - 1; i >= 0; i--) {
    const invoice = paid[i]
    if (!invoice || typeof invoice.amount !== 'number' || invoice.amount <= 0) continue
    const mrr = mrrAt(invoice.occurredAt)
    if (mrr === null || mrr <= 0) continue
    const period = matchPeriod((invoice.amount / mrr) * DAYS_PER_MONTH)
    if (period) return { period, source: 'amount' }
    break
  }
  // Same-day invoices (prorations, retries) say nothing about the cadence.
  const gaps: number[] = []
  for (let i = 1; i < paid.length; i++) {
    const gap = ((paid[i]?.occurredAt ?? 0) - (paid[i - 1]?.occurredAt ?? 0)) / MS_PER_DAY
    if (gap >= 1) gaps.push(gap)
  }
  const period = gaps.length > 0 ? matchPeriod(median(gaps)) : null
  return period ? { period, source: 'cadence' } : null
}

function matchPeriod(days: number): ContractPeriod | null {
  const known = KNOWN_PERIODS.find((p) => Math.abs(days / p.days - 1) <= PERIOD_TOLERANCE)
  return known ? { interval: known.interval, count: known.count } : null
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/**
 * Renewal k (k >= 1) is due at the first paid invoice + k periods; it is survived when an invoice
 * is paid between shortly before it is due and shortly before the next one. At most one per period.
 */
function countRenewals(paid: readonly BillingRecord[], period: ContractPeriod, asOf: number): { count: number; lastAt: number | null } {
  const first = paid[0]
  if (!first) return { count: 0, lastAt: null }
  const early = Math.min(MAX_EARLY_RENEWAL_MS, EARLY_RENEWAL_SHARE * periodDays(period) * MS_PER_DAY)
  let count = 0
  let lastAt: number | null = null
  let i = 1
  let nextDue = addPeriods(first.occurredAt, period, 1)
  for (let k = 1; ; k++) {
    const due = nextDue
    if (due - early > asOf) break
    nextDue = addPeriods(first.occurredAt, period, k + 1)
    while (i < paid.length && (paid[i]?.occurredAt ?? 0) < due - early) i++
    const invoice = paid[i]
    if (invoice && invoice.occurredAt < nextDue - early) {
      count += 1
      lastAt = due
    }
  }
  return { count, lastAt }
}

/** The length of one billing period in days (months and years at their average length). */
export function periodDays(period: ContractPeriod): number {
  const unit = { day: 1, week: 7, month: DAYS_PER_MONTH, year: 365.25 }[period.interval]
  return unit * period.count
}

/** The first `anchor + n periods` (n >= 1) strictly after asOf. */
function firstBoundaryAfter(anchor: number, period: ContractPeriod, asOf: number): number {
  // Jump close to asOf first so that a daily plan years old costs a few steps, not thousands.
  let n = Math.max(1, Math.floor((asOf - anchor) / (periodDays(period) * MS_PER_DAY)))
  while (n > 1 && addPeriods(anchor, period, n - 1) > asOf) n--
  let boundary = addPeriods(anchor, period, n)
  while (boundary <= asOf) boundary = addPeriods(anchor, period, ++n)
  return boundary
}

/**
 * `start` plus n periods, in UTC calendar terms for months and years: a month end stays a month
 * end (Jan 31 + 1 month = Feb 28), as billing systems anchor monthly periods.
 */
export function addPeriods(start: number, period: ContractPeriod, n: number): number {
  if (period.interval === 'day') return start + n * period.count * MS_PER_DAY
  if (period.interval === 'week') return start + n * period.count * 7 * MS_PER_DAY
  const months = n * period.count * (period.interval === 'year' ? 12 : 1)
  // Plain arithmetic, no Date per call: scoring runs this for every renewal of every customer.
  const date = new Date(start)
  const year = date.getUTCFullYear()
  const day = date.getUTCDate()
  const monthIndex = date.getUTCMonth() + months
  const targetYear = year + Math.floor(monthIndex / 12)
  const targetMonth = ((monthIndex % 12) + 12) % 12
  const timeOfDay = start - Date.UTC(year, date.getUTCMonth(), day)
  return Date.UTC(targetYear, targetMonth, Math.min(day, daysInMonth(targetYear, targetMonth))) + timeOfDay
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return month === 1 && leap ? 29 : (DAYS_IN_MONTH[month] ?? 31)
}
