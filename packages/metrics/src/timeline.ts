import type { BillingType } from '@churnwatch/contract'
import { sortBilling, subscriptionStateAt, type AccountRecord, type BillingRecord, type SubscriptionState } from '@churnwatch/features'

/** One customer's billing events (and, for grouping by segment or owner, account events), as stored (any order). */
export interface BillingHistory {
  customerId: string
  billing: readonly BillingRecord[]
  accounts?: readonly AccountRecord[]
}

/** When a customer stops counting: at `subscription_ended` (the model's label) or at the cancel request. */
export const COUNT_CHURN_AT = ['end', 'cancel'] as const
export type CountChurnAt = (typeof COUNT_CHURN_AT)[number]

/** One lifecycle event with the subscription state just before and just after it. */
export interface Transition {
  at: number
  type: BillingType
  reason: string | null
  /** The event's own `voluntary` (null when absent). */
  voluntary: boolean | null
  before: SubscriptionState
  after: SubscriptionState
}

export interface Timeline {
  customerId: string
  transitions: readonly Transition[]
  /** Every billing event (invoices included), sorted with sortBilling: contract terms read them. */
  billing: readonly BillingRecord[]
  /** Account events in event-time order (ties by eventId). */
  accounts: readonly AccountRecord[]
}

// Invoices and failed payments change neither status nor MRR in the fold, so they are dropped
// before folding: the quadratic prefix folds below then stay over a handful of events.
const LIFECYCLE_TYPES: ReadonlySet<BillingType> = new Set<BillingType>([
  'subscription_started',
  'subscription_changed',
  'subscription_canceled',
  'subscription_ended',
  'subscription_reactivated',
])

const NONE: SubscriptionState = subscriptionStateAt([], 0)

/** True for the statuses the churn definition counts as a customer (canceling still pays). */
export function isActiveStatus(state: SubscriptionState): boolean {
  return state.status === 'active' || state.status === 'canceling'
}

/** True when the state counts as a customer under `countChurnAt`: canceling counts only when churn is counted at the end. */
export function isCustomerStatus(state: SubscriptionState, countChurnAt: CountChurnAt): boolean {
  return state.status === 'active' || (countChurnAt === 'end' && state.status === 'canceling')
}

/**
 * Per-customer transitions folded with the features package's `subscriptionStateAt`, so metrics
 * and the model share one churn definition. Histories with the same customerId are merged and a
 * repeated eventId counts once (the contract's duplicate rule).
 */
export function buildTimelines(histories: readonly BillingHistory[]): Timeline[] {
  const byCustomer = new Map<string, { billing: Map<string, BillingRecord>; accounts: Map<string, AccountRecord> }>()
  for (const h of histories) {
    let events = byCustomer.get(h.customerId)
    if (!events) byCustomer.set(h.customerId, (events = { billing: new Map(), accounts: new Map() }))
    for (const e of h.billing) if (!events.billing.has(e.eventId)) events.billing.set(e.eventId, e)
    for (const a of h.accounts ?? []) if (!events.accounts.has(a.eventId)) events.accounts.set(a.eventId, a)
  }
  const timelines: Timeline[] = []
  for (const [customerId, events] of byCustomer) {
    const billing = sortBilling([...events.billing.values()])
    const sorted = billing.filter((e) => LIFECYCLE_TYPES.has(e.type))
    let before = NONE
    const transitions = sorted.map((e, i) => {
      // Folding the prefix (not filtering by time) keeps same-instant events in sortBilling order.
      const after = subscriptionStateAt(sorted.slice(0, i + 1), Number.POSITIVE_INFINITY)
      const t: Transition = { at: e.occurredAt, type: e.type, reason: e.reason ?? null, voluntary: e.voluntary ?? null, before, after }
      before = after
      return t
    })
    const accounts = [...events.accounts.values()].sort(
      (a, b) => a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0),
    )
    timelines.push({ customerId, transitions, billing, accounts })
  }
  return timelines
}

/** Index of the first transition at or after t. */
export function lowerBound(transitions: readonly Transition[], t: number): number {
  let lo = 0
  let hi = transitions.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((transitions[mid]?.at ?? Number.POSITIVE_INFINITY) < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The state just before instant t: every event strictly earlier than t applied. */
export function stateBefore(timeline: Timeline, t: number): SubscriptionState {
  const i = lowerBound(timeline.transitions, t)
  return timeline.transitions[i - 1]?.after ?? NONE
}

/** Transitions with start <= at < end, in order. */
export function transitionsIn(timeline: Timeline, start: number, end: number): Transition[] {
  const out: Transition[] = []
  for (let i = lowerBound(timeline.transitions, start); i < timeline.transitions.length; i++) {
    const t = timeline.transitions[i]
    if (!t || t.at >= end) break
    out.push(t)
  }
  return out
}

/**
 * The timeline as buildTimelines would build it from only the events before `until` (exclusive):
 * sortBilling orders by event time first, so the events before `until` are a prefix and their
 * folded states are the same. Returns the timeline itself when nothing is at or after `until`.
 */
export function timelineBefore(timeline: Timeline, until: number): Timeline {
  const { transitions, billing, accounts } = timeline
  const lastAt = Math.max(transitions[transitions.length - 1]?.at ?? -Infinity, billing[billing.length - 1]?.occurredAt ?? -Infinity, accounts[accounts.length - 1]?.occurredAt ?? -Infinity)
  if (lastAt < until) return timeline
  return {
    customerId: timeline.customerId,
    transitions: transitions.slice(0, lowerBound(transitions, until)),
    billing: billing.filter((e) => e.occurredAt < until),
    accounts: accounts.filter((a) => a.occurredAt < until),
  }
}
