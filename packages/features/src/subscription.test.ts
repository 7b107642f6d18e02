import { describe, expect, it } from 'vitest'
import type { BillingRecord } from './history.js'
import { isActiveAt, sortBilling, subscriptionStateAt } from './subscription.js'

const at = (iso: string) => Date.parse(iso)
const record = (eventId: string, iso: string, type: BillingRecord['type'], extra: Partial<BillingRecord> = {}) => ({
  eventId,
  occurredAt: at(iso),
  type,
  ...extra,
})

const HISTORY: BillingRecord[] = sortBilling([
  record('b1', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 2900, plan: 'starter' }),
  record('b2', '2026-02-10T00:00:00Z', 'subscription_canceled', { reason: 'too_expensive' }),
  record('b3', '2026-03-01T00:00:00Z', 'subscription_ended', { reason: 'too_expensive', voluntary: true }),
  record('b4', '2026-06-01T00:00:00Z', 'subscription_reactivated', { mrr: 9900, plan: 'pro' }),
])

describe('subscriptionStateAt', () => {
  it.each([
    ['2025-12-31T23:59:59Z', 'none', false, 0],
    ['2026-01-01T00:00:00Z', 'active', true, 2900],
    ['2026-02-10T00:00:00Z', 'canceling', true, 2900],
    ['2026-03-01T00:00:00Z', 'ended', false, 2900],
    ['2026-06-01T00:00:00Z', 'active', true, 9900],
  ] as const)('at %s the subscription is %s', (iso, status, active, mrr) => {
    const state = subscriptionStateAt(HISTORY, at(iso))
    expect(state.status).toBe(status)
    expect(state.mrr).toBe(mrr)
    expect(isActiveAt(HISTORY, at(iso))).toBe(active)
  })

  it('records the end reason, the reactivation and the new period start', () => {
    expect(subscriptionStateAt(HISTORY, at('2026-04-01T00:00:00Z'))).toMatchObject({
      endReason: 'too_expensive',
      endVoluntary: true,
      endedAt: at('2026-03-01T00:00:00Z'),
    })
    expect(subscriptionStateAt(HISTORY, at('2026-07-01T00:00:00Z'))).toMatchObject({
      reactivations: 1,
      plan: 'pro',
      firstStartedAt: at('2026-01-01T00:00:00Z'),
      currentStartedAt: at('2026-06-01T00:00:00Z'),
      endedAt: null,
    })
  })

  it('orders events at the same instant by eventId so folding is deterministic', () => {
    const same = '2026-01-01T00:00:00Z'
    const sorted = sortBilling([record('b', same, 'subscription_ended'), record('a', same, 'subscription_started', { mrr: 1 })])
    expect(sorted.map((e) => e.eventId)).toEqual(['a', 'b'])
  })
})
