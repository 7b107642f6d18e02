import type { BillingRecord, CustomerHistory } from './history.js'
import { accountAsOf, type AccountState } from './account.js'
import { contractStateAt, type ContractState } from './contract-terms.js'
import { sortBilling, subscriptionStateAt, type SubscriptionState } from './subscription.js'
import { dayNumber, dayNumberOf, MS_PER_DAY, toEpochMs } from './time.js'

/**
 * What one customer's history says as of T, gathered in one pass over its buckets: the facts
 * every feature definition computes from. Usage counts only complete UTC days before T's day
 * (age 1 = yesterday; a bucket of T's own day may hold events after T); billing only at or
 * before T. A new feature computes from these facts; a new kind of fact is added here once.
 */
export interface AsOfFacts {
  asOfMs: number
  /** UTC day number of asOf. */
  today: number
  /** Billing ordered by event time; may hold events after asOf, which definitions must skip. */
  billing: readonly BillingRecord[]
  subscription: SubscriptionState
  /** The contract as of asOf: interval, next renewal, pending cancellation, renewals (ADR 0003). */
  contract: ContractState
  /** Contracted MRR 90 days before asOf. */
  mrr90dAgo: number
  /** Days since the subscription first started (fractional; 0 before any start). */
  tenureDays: number
  usage: UsageFacts
  /** Account attributes as of asOf: the latest value of each field at or before it. */
  account: AccountState
}

/** Usage totals by window (ages in complete days before asOf's day). */
export interface UsageFacts {
  events7d: number
  events14d: number
  /** Events of ages 15-90: the customer's own baseline. */
  eventsDays15To90: number
  events30d: number
  /** Events of ages 31-60. */
  eventsPrev30d: number
  events90d: number
  activeDays30d: number
  activeUsers30d: number
  activeUsers90d: number
  /** Net seat_added minus seat_removed quantity over the whole history; null without seat events. */
  seatEventsNet: number | null
  seatsAdded30d: number
  seatsRemoved30d: number
  supportTickets30d: number
  supportTickets90d: number
  /** UTC day number of the last day with usage, or null when never active. */
  lastActiveDay: number | null
  /** Events of every action over the last 30 days. */
  actionEvents30d: ReadonlyMap<string, number>
  /** Usage events on every complete day before asOf's day (the whole tenure). */
  eventsLifetime: number
  /** Events of every action used on a complete day before asOf's day (only actions with events). */
  actionEventsLifetime: ReadonlyMap<string, number>
}

const SEAT_ADDED = 'seat_added'
const SEAT_REMOVED = 'seat_removed'
const SUPPORT_TICKET = 'support_ticket_opened'

/** Gathers the as-of facts of one customer (the only pass over its buckets). */
export function factsAsOf(history: CustomerHistory, asOf: string | Date | number): AsOfFacts {
  const asOfMs = toEpochMs(asOf)
  const today = dayNumber(asOfMs)
  const billing = sortBilling(history.billing)
  const subscription = subscriptionStateAt(billing, asOfMs)

  const actionEvents30d = new Map<string, number>()
  const actionEventsLifetime = new Map<string, number>()
  let eventsLifetime = 0
  let events7d = 0
  let events14d = 0
  let eventsDays15To90 = 0
  let events30d = 0
  let events90d = 0
  let eventsPrev30d = 0
  let supportTickets30d = 0
  let supportTickets90d = 0
  let seatsNet = 0
  let seatsRemoved30d = 0
  let seatsAdded30d = 0
  let sawSeatEvents = false
  let lastActiveDay = -Infinity
  const activeDays30 = new Set<number>()

  for (const bucket of history.activity) {
    const day = dayNumberOf(bucket.day)
    const age = today - day
    if (age < 1) continue
    if (bucket.eventCount > 0) {
      eventsLifetime += bucket.eventCount
      actionEventsLifetime.set(bucket.action, (actionEventsLifetime.get(bucket.action) ?? 0) + bucket.eventCount)
    }
    if (bucket.action === SEAT_ADDED || bucket.action === SEAT_REMOVED) {
      sawSeatEvents = true
      seatsNet += bucket.action === SEAT_ADDED ? bucket.quantity : -bucket.quantity
    }
    if (bucket.eventCount > 0 && day > lastActiveDay) lastActiveDay = day
    if (age <= 90) {
      events90d += bucket.eventCount
      if (bucket.action === SUPPORT_TICKET) supportTickets90d += bucket.eventCount
    }
    if (age <= 30) {
      if (bucket.action === SEAT_REMOVED) seatsRemoved30d += bucket.quantity
      else if (bucket.action === SEAT_ADDED) seatsAdded30d += bucket.quantity
      events30d += bucket.eventCount
      if (bucket.eventCount > 0) activeDays30.add(day)
      if (bucket.action === SUPPORT_TICKET) supportTickets30d += bucket.eventCount
      actionEvents30d.set(bucket.action, (actionEvents30d.get(bucket.action) ?? 0) + bucket.eventCount)
    } else if (age <= 60) {
      eventsPrev30d += bucket.eventCount
    }
    if (age <= 7) events7d += bucket.eventCount
    if (age <= 14) events14d += bucket.eventCount
    else if (age <= 90) eventsDays15To90 += bucket.eventCount
  }

  const users30 = new Set<string>()
  const users90 = new Set<string>()
  for (const entry of history.users) {
    const age = today - dayNumberOf(entry.day)
    if (age < 1 || age > 90) continue
    for (const user of entry.userIds) {
      users90.add(user)
      if (age <= 30) users30.add(user)
    }
  }

  return {
    asOfMs,
    today,
    billing,
    subscription,
    contract: contractStateAt(billing, asOfMs, subscription),
    mrr90dAgo: subscriptionStateAt(billing, asOfMs - 90 * MS_PER_DAY).mrr,
    tenureDays: subscription.firstStartedAt === null ? 0 : Math.max(0, (asOfMs - subscription.firstStartedAt) / MS_PER_DAY),
    usage: {
      events7d,
      events14d,
      eventsDays15To90,
      events30d,
      eventsPrev30d,
      events90d,
      activeDays30d: activeDays30.size,
      activeUsers30d: users30.size,
      activeUsers90d: users90.size,
      seatEventsNet: sawSeatEvents ? seatsNet : null,
      seatsAdded30d,
      seatsRemoved30d,
      supportTickets30d,
      supportTickets90d,
      lastActiveDay: lastActiveDay === -Infinity ? null : lastActiveDay,
      actionEvents30d,
      eventsLifetime,
      actionEventsLifetime,
    },
    account: accountAsOf(history, asOfMs),
  }
}

/**
 * Usage events expected in 14 days at the customer's own rate of days 15-90 before asOf, cut to
 * the days the customer has existed (0 without such days).
 */
export function baselineEvents14d(facts: AsOfFacts): number {
  const baselineDays = Math.min(76, Math.max(0, Math.floor(facts.tenureDays) - 14))
  return baselineDays > 0 ? (facts.usage.eventsDays15To90 * 14) / baselineDays : 0
}
