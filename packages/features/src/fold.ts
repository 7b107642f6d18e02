import type { BillingEvent, ChurnEvent, UsageEvent } from '@churnwatch/contract'
import { toAccountRecord } from './account.js'
import type { AccountRecord, BillingRecord, CustomerHistory, DailyActivity, DailyUsers } from './history.js'
import { utcDay, toEpochMs } from './time.js'

/** A daily bucket increment for one (customer, day, action). */
export interface ActivityDelta extends DailyActivity {
  customerId: string
}

/** One (customer, day, user) seen in a batch. */
export interface UserDayDelta {
  customerId: string
  day: string
  userId: string
  eventCount: number
}

/**
 * Pre-aggregates usage events per customer, UTC day of occurredAt and action (event time,
 * whatever the arrival order), and the distinct users per customer and day. Adding the
 * deltas of two batches equals the deltas of both batches together.
 */
export function bucketUsageEvents(events: Iterable<UsageEvent>): { activity: ActivityDelta[]; users: UserDayDelta[] } {
  const activity = new Map<string, ActivityDelta>()
  const users = new Map<string, UserDayDelta>()
  for (const e of events) {
    const day = utcDay(toEpochMs(e.occurredAt))
    const quantity = e.quantity ?? 1
    const key = `${e.customerId}\u0000${day}\u0000${e.action}`
    const bucket = activity.get(key)
    if (bucket) {
      bucket.eventCount += 1
      bucket.quantity += quantity
    } else {
      activity.set(key, { customerId: e.customerId, day, action: e.action, eventCount: 1, quantity })
    }
    if (e.userId) {
      const userKey = `${e.customerId}\u0000${day}\u0000${e.userId}`
      const seen = users.get(userKey)
      if (seen) seen.eventCount += 1
      else users.set(userKey, { customerId: e.customerId, day, userId: e.userId, eventCount: 1 })
    }
  }
  return { activity: [...activity.values()], users: [...users.values()] }
}

/** The stored form of a billing event (epoch-ms time, absent fields as null). */
export function toBillingRecord(e: BillingEvent): BillingRecord {
  return {
    eventId: e.eventId,
    occurredAt: toEpochMs(e.occurredAt),
    type: e.type,
    mrr: e.mrr ?? null,
    amount: e.amount ?? null,
    plan: e.plan ?? null,
    reason: e.reason ?? null,
    voluntary: e.voluntary ?? null,
    ...contractTermsOf(e),
  }
}

/** The contract terms an event carries, only those sent (terms are read only on the types that define them). */
export function contractTermsOf(e: BillingEvent): ContractTerms {
  const terms: ContractTerms = {}
  if (e.type === 'subscription_canceled') {
    if (e.effectiveAt !== undefined) terms.effectiveAt = toEpochMs(e.effectiveAt)
    return terms
  }
  if (
    e.type === 'subscription_started' ||
    e.type === 'subscription_changed' ||
    e.type === 'invoice_paid' ||
    e.type === 'subscription_reactivated'
  ) {
    if (e.interval !== undefined) terms.interval = e.interval
    if (e.intervalCount !== undefined) terms.intervalCount = e.intervalCount
    if (e.currentPeriodEnd !== undefined) terms.currentPeriodEnd = toEpochMs(e.currentPeriodEnd)
    if (e.cancelAtPeriodEnd !== undefined) terms.cancelAtPeriodEnd = e.cancelAtPeriodEnd
  }
  return terms
}

/** The stored contract-term fields of a billing record. */
export type ContractTerms = Pick<BillingRecord, 'interval' | 'intervalCount' | 'currentPeriodEnd' | 'cancelAtPeriodEnd' | 'effectiveAt'>

/**
 * Builds a customer's history straight from raw events (first occurrence of each eventId wins).
 * The reference fold: storage must yield the same history for the same events.
 */
export function historyFromEvents(customerId: string, events: Iterable<ChurnEvent>): CustomerHistory {
  const seen = new Set<string>()
  const usage: UsageEvent[] = []
  const billing: BillingRecord[] = []
  const accounts: AccountRecord[] = []
  for (const e of events) {
    if (e.customerId !== customerId || seen.has(e.eventId)) continue
    seen.add(e.eventId)
    if (e.kind === 'usage') usage.push(e)
    else if (e.kind === 'billing') billing.push(toBillingRecord(e))
    else accounts.push(toAccountRecord(e))
  }
  const { activity, users } = bucketUsageEvents(usage)
  const usersByDay = new Map<string, string[]>()
  for (const u of users) usersByDay.set(u.day, [...(usersByDay.get(u.day) ?? []), u.userId])
  const dailyUsers: DailyUsers[] = [...usersByDay.entries()].map(([day, userIds]) => ({ day, userIds }))
  return {
    customerId,
    activity: activity.map(({ customerId: _c, ...bucket }) => bucket),
    users: dailyUsers,
    billing,
    accounts,
  }
}
