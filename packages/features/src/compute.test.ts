import type { ChurnEvent } from '@churnwatch/contract'
import { describe, expect, it } from 'vitest'
import { computeFeatures, toFeatureArray } from './compute.js'
import { FEATURE_REGISTRY, type FeatureDefinition } from './definitions.js'
import { defineFeatureSet, featureSetOf } from './feature-set.js'
import { historyFromEvents } from './fold.js'

const usage = (eventId: string, occurredAt: string, action: string, extra: Partial<ChurnEvent> = {}): ChurnEvent =>
  ({ eventId, customerId: 'acme', occurredAt, kind: 'usage', action, quantity: 1, ...extra }) as ChurnEvent
const billing = (eventId: string, occurredAt: string, type: string, extra: Record<string, unknown> = {}): ChurnEvent =>
  ({ eventId, customerId: 'acme', occurredAt, kind: 'billing', type, ...extra }) as ChurnEvent

// The hand-computed example of docs/adr/0003 (ages in days before asOf's day 2026-04-01).
const EVENTS: ChurnEvent[] = [
  billing('b1', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 4900, plan: 'pro' }),
  billing('b2', '2026-01-01T00:00:00Z', 'invoice_paid', { amount: 4900 }),
  usage('u1', '2026-01-05T09:00:00Z', 'seat_added', { quantity: 5 }),
  usage('u2', '2026-01-10T09:00:00Z', 'seat_removed', { quantity: 1 }),
  billing('b3', '2026-02-01T00:00:00Z', 'invoice_paid', { amount: 4900 }),
  billing('b4', '2026-02-15T00:00:00Z', 'subscription_changed', { mrr: 9900, plan: 'business' }),
  ...[1, 2, 3, 4].map((i) => usage(`u-feb-${i}`, '2026-02-20T10:00:00Z', 'login', { userId: 'u1' })),
  billing('b5', '2026-03-01T00:00:00Z', 'invoice_paid', { amount: 9900 }),
  usage('u3', '2026-03-15T10:00:00Z', 'support_ticket_opened', { userId: 'u3' }),
  billing('b6', '2026-03-20T00:00:00Z', 'payment_failed', { amount: 9900 }),
  billing('b7', '2026-03-25T10:00:00Z', 'subscription_canceled', { reason: 'too_expensive', voluntary: true }),
  usage('u4', '2026-03-30T08:00:00Z', 'login', { userId: 'u1' }),
  usage('u5', '2026-03-30T09:00:00Z', 'login', { userId: 'u2' }),
  usage('u6', '2026-03-30T23:59:59Z', 'login', { userId: 'u2' }),
  usage('u7', '2026-03-31T12:00:00+02:00', 'api_call', { quantity: 10, userId: 'u1' }),
]
const AS_OF = '2026-04-01T12:00:00Z'
const FEATURE_SET = defineFeatureSet(['login', 'api_call', 'report_exported'])

describe('computeFeatures', () => {
  it('matches the hand-computed example', () => {
    const vector = computeFeatures(historyFromEvents('acme', EVENTS), AS_OF, FEATURE_SET)
    expect(vector.values).toEqual({
      tenure_days: 90.5,
      days_since_last_activity: 1,
      events_7d: 4,
      events_14d: 4,
      // Days 15-90 before asOf hold 7 events (ages 17, 40 x4, 81, 86): 7 x 14 / 76 = 1.28947...
      baseline_events_14d: 1.2895,
      events_30d: 5,
      events_90d: 11,
      activity_trend_30d: 0.25,
      active_days_30d: 3,
      active_users_30d: 3,
      seats: 4,
      // The seat events are 86 and 81 days old: outside the 30-day window.
      seats_removed_30d: 0,
      seats_added_30d: 0,
      seat_utilization_30d: 0.75,
      mrr: 9900,
      mrr_change_90d: 5000,
      // b6 failed 12.5 days before asOf and nothing was paid after it: overdue.
      failed_payments_30d: 1,
      failed_payments_90d: 1,
      days_since_last_payment: 31.5,
      payment_overdue: 1,
      cancellation_requested: 1,
      reactivations: 0,
      support_tickets_30d: 1,
      support_tickets_90d: 1,
      // Monthly (the last invoice equals MRR); the Apr 1 renewal was not paid, so the next boundary
      // of the last paid period (Mar 1) is May 1: 29.5 days, outside the 10.1-day monthly window.
      renewal_known: 1,
      days_to_renewal: 29.5,
      contract_interval_months: 1,
      in_notice_window: 0,
      // Not sent: the pending cancellation is cancellation_requested.
      cancel_at_period_end: 0,
      // Feb 1 and Mar 1 renewed by b3 and b5; MRR was already 9900 on Feb 15, 14 days before Mar 1.
      renewals_survived: 2,
      price_change_at_last_renewal: 0,
      usage_vs_usual_before_renewal: 1,
      // No account event: the company size is not known.
      employees: 0,
      // 11 usage events before asOf's day over 90.5 / 30.4375 = 2.9733 months: 3.6996 a month;
      // 5 actions ever used (seat_added, seat_removed, login, support_ticket_opened, api_call).
      events_per_month_lifetime: 3.6996,
      actions_used_lifetime: 5,
      'action_30d:login': 3,
      'action_30d:api_call': 1,
      'action_30d:report_exported': 0,
      // 4 logins on Feb 20 and 3 on Mar 30: 7 / 2.9733 = 2.3543 a month; 1 api_call: 0.3363.
      'action_lifetime:login': 7,
      'action_lifetime:api_call': 1,
      'action_lifetime:report_exported': 0,
      'action_per_month:login': 2.3543,
      'action_per_month:api_call': 0.3363,
      'action_per_month:report_exported': 0,
    })
    expect(vector.plan).toBe('business')
    expect(vector.categories).toEqual({ segment: null, plan: 'business', industry: null, country: null })
    expect(vector.subscription.status).toBe('canceling')
    expect(vector.lastActiveDay).toBe('2026-03-31')
    expect(toFeatureArray(vector, FEATURE_SET)).toHaveLength(FEATURE_SET.names.length)
  })

  it('counts seats removed and added over the last 30 complete days by quantity', () => {
    const events: ChurnEvent[] = [
      ...EVENTS,
      usage('s1', '2026-03-02T10:00:00Z', 'seat_removed', { quantity: 4 }), // age 30: inside
      usage('s2', '2026-03-01T10:00:00Z', 'seat_removed', { quantity: 8 }), // age 31: outside
      usage('s3', '2026-03-20T10:00:00Z', 'seat_removed', { quantity: 2 }), // age 12: inside
      usage('s4', '2026-03-31T23:00:00Z', 'seat_added', { quantity: 3 }), // age 1: inside
      usage('s5', '2026-04-01T01:00:00Z', 'seat_added', { quantity: 7 }), // asOf's own day: not yet
    ]
    const { values } = computeFeatures(historyFromEvents('acme', events), AS_OF, FEATURE_SET)
    expect(values.seats_removed_30d).toBe(6)
    expect(values.seats_added_30d).toBe(3)
    // Net seat events before asOf's day are 5 - 1 - 4 - 8 - 2 + 3 = -7: seat events are changes from
    // a count nobody sent, so the 3 users active in 90 days (u1, u2, u3) stand for the seats held.
    expect(values.seats).toBe(3)
    expect(values.seat_utilization_30d).toBe(1)
  })

  it('never reports more active users than seats: 8 users, 3 seats removed and no seat added give 8 seats, all in use', () => {
    const events: ChurnEvent[] = [
      billing('b1', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 4900, plan: 'pro' }),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => usage(`l${i}`, '2026-03-20T10:00:00Z', 'login', { userId: `u${i}` })),
      usage('r1', '2026-03-25T10:00:00Z', 'seat_removed', { quantity: 3 }),
    ]
    const { values } = computeFeatures(historyFromEvents('acme', events), AS_OF, FEATURE_SET)
    // Before ADR 0003's rule: seats max(1, -3) = 1 and a utilisation of 8 / 1 = 8.
    expect(values).toMatchObject({ seats: 8, seats_removed_30d: 3, active_users_30d: 8, seat_utilization_30d: 1 })
  })

  it('computes with the definitions passed in: a registry with one more feature adds it to the vector', () => {
    const extra: FeatureDefinition = {
      name: 'events_3d',
      description: 'usage events in the last 3 days',
      unit: 'events',
      heavyTailed: true,
      compute: (f) => f.usage.lastActiveDay === null ? 0 : f.today - f.usage.lastActiveDay <= 3 ? 1 : 0,
      sentence: ({ value }) => `${value} recent`,
    }
    const registry = { ...FEATURE_REGISTRY, base: [...FEATURE_REGISTRY.base, extra] }
    const extended = defineFeatureSet(['login'], registry)
    expect(extended.names).toContain('events_3d')
    const vector = computeFeatures(historyFromEvents('acme', EVENTS), AS_OF, extended)
    expect(vector.values.events_3d).toBe(1)
    // The stored vector of an older set still holds today's base features; its row holds only its names.
    const older = featureSetOf(['events_30d', 'action_30d:login'], registry)
    const row = toFeatureArray(computeFeatures(historyFromEvents('acme', EVENTS), AS_OF, older), older)
    expect(row).toEqual([5, 3])
  })

  it('refuses names it has no definition or value for instead of making up a 0', () => {
    expect(() => featureSetOf(['events_30d', 'renewal_in_days', 'legacy_score'])).toThrow(
      expect.objectContaining({ code: 'CW_FEATURES_UNKNOWN_FEATURE', message: expect.stringContaining('renewal_in_days, legacy_score') }),
    )
    const vector = computeFeatures(historyFromEvents('acme', EVENTS), AS_OF, defineFeatureSet([]))
    expect(() => toFeatureArray(vector, FEATURE_SET)).toThrow(expect.objectContaining({ code: 'CW_FEATURES_MISSING_VALUE', message: expect.stringContaining('action_30d:login') }))
  })

  it('counts failed payments over 30 and 90 days and clears the overdue flag once an invoice is paid', () => {
    const events: ChurnEvent[] = [
      ...EVENTS,
      billing('f1', '2026-01-15T00:00:00Z', 'payment_failed', { amount: 4900 }), // 76.5 days: 90d only
      billing('f2', '2026-03-02T11:00:00Z', 'payment_failed', { amount: 9900 }), // 30.04 days: 90d only
      billing('f3', '2026-03-02T13:00:00Z', 'payment_failed', { amount: 9900 }), // 29.96 days: both
    ]
    const overdue = computeFeatures(historyFromEvents('acme', events), AS_OF, FEATURE_SET).values
    expect(overdue).toMatchObject({ failed_payments_30d: 2, failed_payments_90d: 4, payment_overdue: 1 })
    const paid = [...events, billing('p1', '2026-03-23T00:00:00Z', 'invoice_paid', { amount: 9900 })]
    const settled = computeFeatures(historyFromEvents('acme', paid), AS_OF, FEATURE_SET).values
    expect(settled).toMatchObject({ failed_payments_30d: 2, failed_payments_90d: 4, payment_overdue: 0, days_since_last_payment: 9.5 })
    // A payment after asOf does not settle anything yet.
    const paidLater = [...events, billing('p2', '2026-04-01T12:00:01Z', 'invoice_paid', { amount: 9900 })]
    expect(computeFeatures(historyFromEvents('acme', paidLater), AS_OF, FEATURE_SET).values.payment_overdue).toBe(1)
  })

  it('ignores every event after asOf, including usage later on asOf’s own day', () => {
    const before = computeFeatures(historyFromEvents('acme', EVENTS), AS_OF, FEATURE_SET)
    const later: ChurnEvent[] = [
      usage('x1', '2026-04-01T08:00:00Z', 'login', { userId: 'u9' }),
      usage('x2', '2026-04-01T13:00:00Z', 'report_exported', { userId: 'u9' }),
      usage('x3', '2026-05-01T00:00:00Z', 'seat_added', { quantity: 50 }),
      billing('x4', '2026-04-01T12:00:00.001Z', 'subscription_ended', { reason: 'too_expensive', voluntary: true }),
      billing('x5', '2026-04-02T00:00:00Z', 'subscription_reactivated', { mrr: 100 }),
      billing('x6', '2026-04-03T00:00:00Z', 'payment_failed'),
    ]
    const after = computeFeatures(historyFromEvents('acme', [...later, ...EVENTS]), AS_OF, FEATURE_SET)
    expect(after).toEqual(before)
  })

  it('gives the same features whatever order events arrive in, and ignores repeated eventIds', () => {
    const inOrder = computeFeatures(historyFromEvents('acme', EVENTS), AS_OF, FEATURE_SET)
    const shuffled = [...EVENTS].reverse()
    const withDuplicates = [...shuffled, ...EVENTS.slice(0, 5)]
    expect(computeFeatures(historyFromEvents('acme', withDuplicates), AS_OF, FEATURE_SET)).toEqual(inOrder)
  })

  it('treats a customer with no usage as silent for its whole tenure', () => {
    const history = historyFromEvents('acme', EVENTS.filter((e) => e.kind === 'billing'))
    const vector = computeFeatures(history, AS_OF, FEATURE_SET)
    expect(vector.values.days_since_last_activity).toBe(90.5)
    expect(vector.values.seats).toBe(1)
    expect(vector.values.events_90d).toBe(0)
    expect(vector.values.activity_trend_30d).toBe(0)
    expect(vector.lastActiveDay).toBeNull()
  })
})
