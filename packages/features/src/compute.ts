import { ACTION_FEATURE_PREFIX } from './definitions.js'
import type { FeatureSet } from './feature-set.js'
import { DEFAULT_FEATURE_SET } from './feature-set.js'
import type { CustomerHistory } from './history.js'
import { sortBilling, subscriptionStateAt, type SubscriptionState } from './subscription.js'
import { dayNumber, dayNumberOf, MS_PER_DAY, toEpochMs } from './time.js'

/** A customer's features as of one instant. `values` holds every name of the feature set. */
export interface FeatureVector {
  customerId: string
  asOf: string
  values: Record<string, number>
  /** Categorical, kept apart from the numeric values. */
  plan: string | null
  subscription: SubscriptionState
  /** UTC day of the last usage before asOf, or null. */
  lastActiveDay: string | null
}

const SEAT_ADDED = 'seat_added'
const SEAT_REMOVED = 'seat_removed'
const SUPPORT_TICKET = 'support_ticket_opened'

/**
 * Computes the feature vector of one customer as of `asOf`, from event time only.
 * Point-in-time rule: usage counts only from complete UTC days before asOf's day (a daily
 * bucket of asOf's own day may hold events after asOf), billing only from events at or before asOf.
 */
export function computeFeatures(
  history: CustomerHistory,
  asOf: string | Date | number,
  featureSet: FeatureSet = DEFAULT_FEATURE_SET,
): FeatureVector {
  const asOfMs = toEpochMs(asOf)
  const today = dayNumber(asOfMs)
  const billing = sortBilling(history.billing)
  const subscription = subscriptionStateAt(billing, asOfMs)
  const mrr90dAgo = subscriptionStateAt(billing, asOfMs - 90 * MS_PER_DAY).mrr

  const tracked = new Map(featureSet.trackedActions.map((a) => [a, 0]))
  let events7 = 0
  let events14 = 0
  let eventsDays15To90 = 0
  let events30 = 0
  let events90 = 0
  let eventsPrev30 = 0
  let tickets30 = 0
  let tickets90 = 0
  let seatsNet = 0
  let seatsRemoved30 = 0
  let seatsAdded30 = 0
  let sawSeatEvents = false
  let lastActiveDayNumber = -Infinity
  const activeDays30 = new Set<number>()

  for (const bucket of history.activity) {
    const day = dayNumberOf(bucket.day)
    const age = today - day // 1 = yesterday; 0 or less = asOf's own day or later: not yet complete
    if (age < 1) continue
    if (bucket.action === SEAT_ADDED || bucket.action === SEAT_REMOVED) {
      sawSeatEvents = true
      seatsNet += bucket.action === SEAT_ADDED ? bucket.quantity : -bucket.quantity
    }
    if (bucket.eventCount > 0 && day > lastActiveDayNumber) lastActiveDayNumber = day
    if (age <= 90) {
      events90 += bucket.eventCount
      if (bucket.action === SUPPORT_TICKET) tickets90 += bucket.eventCount
    }
    if (age <= 30) {
      // Offboarding users is one of the few visible steps of a customer on the way out.
      if (bucket.action === SEAT_REMOVED) seatsRemoved30 += bucket.quantity
      else if (bucket.action === SEAT_ADDED) seatsAdded30 += bucket.quantity
      events30 += bucket.eventCount
      if (bucket.eventCount > 0) activeDays30.add(day)
      if (bucket.action === SUPPORT_TICKET) tickets30 += bucket.eventCount
      const count = tracked.get(bucket.action)
      if (count !== undefined) tracked.set(bucket.action, count + bucket.eventCount)
    } else if (age <= 60) {
      eventsPrev30 += bucket.eventCount
    }
    if (age <= 7) events7 += bucket.eventCount
    if (age <= 14) events14 += bucket.eventCount
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

  const tenureDays = subscription.firstStartedAt === null ? 0 : (asOfMs - subscription.firstStartedAt) / MS_PER_DAY
  // Never active: as silent as the whole tenure.
  const daysSinceLastActivity =
    lastActiveDayNumber === -Infinity ? Math.max(tenureDays, 0) : today - lastActiveDayNumber
  // The baseline covers days 15-90 before asOf, cut to the days the customer has existed.
  const baselineDays = Math.min(76, Math.max(0, Math.floor(tenureDays) - 14))
  const baseline14 = baselineDays > 0 ? (eventsDays15To90 * 14) / baselineDays : 0
  // Without seat events, the seats in use over 90 days stand in for the seats held.
  const seats = Math.max(1, sawSeatEvents ? seatsNet : users90.size)
  let failedPayments30 = 0
  let failedPayments90 = 0
  for (const e of billing) {
    if (e.type !== 'payment_failed' || e.occurredAt > asOfMs || e.occurredAt <= asOfMs - 90 * MS_PER_DAY) continue
    failedPayments90++
    if (e.occurredAt > asOfMs - 30 * MS_PER_DAY) failedPayments30++
  }
  // Dunning in progress: retries of the failed charge may still succeed, or end the subscription.
  const { lastFailedAt, lastPaidAt } = subscription
  const paymentOverdue = lastFailedAt !== null && (lastPaidAt === null || lastFailedAt > lastPaidAt)

  const values: Record<string, number> = {
    tenure_days: round(Math.max(tenureDays, 0)),
    days_since_last_activity: round(daysSinceLastActivity),
    events_7d: events7,
    events_14d: events14,
    baseline_events_14d: round(baseline14),
    events_30d: events30,
    events_90d: events90,
    activity_trend_30d: round((events30 - eventsPrev30) / Math.max(eventsPrev30, 1)),
    active_days_30d: activeDays30.size,
    active_users_30d: users30.size,
    seats,
    seats_removed_30d: seatsRemoved30,
    seats_added_30d: seatsAdded30,
    seat_utilization_30d: round(users30.size / seats),
    mrr: subscription.mrr,
    mrr_change_90d: subscription.mrr - mrr90dAgo,
    failed_payments_30d: failedPayments30,
    failed_payments_90d: failedPayments90,
    days_since_last_payment: round(
      subscription.lastPaidAt === null ? Math.max(tenureDays, 0) : (asOfMs - subscription.lastPaidAt) / MS_PER_DAY,
    ),
    payment_overdue: paymentOverdue ? 1 : 0,
    cancellation_requested: subscription.status === 'canceling' ? 1 : 0,
    reactivations: subscription.reactivations,
    support_tickets_30d: tickets30,
    support_tickets_90d: tickets90,
  }
  for (const [action, count] of tracked) values[`${ACTION_FEATURE_PREFIX}${action}`] = count

  return {
    customerId: history.customerId,
    asOf: new Date(asOfMs).toISOString(),
    values,
    plan: subscription.plan,
    subscription,
    lastActiveDay: lastActiveDayNumber === -Infinity ? null : new Date(lastActiveDayNumber * MS_PER_DAY).toISOString().slice(0, 10),
  }
}

/** The values of a feature vector as an array in the feature set's order (what models consume). */
export function toFeatureArray(vector: FeatureVector, featureSet: FeatureSet = DEFAULT_FEATURE_SET): number[] {
  return featureSet.names.map((name) => vector.values[name] ?? 0)
}

// Four decimals keep vectors stable across platforms and readable in explanations.
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000
}
