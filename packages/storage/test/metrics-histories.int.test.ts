import type { AccountEvent, BillingEvent } from '@churnwatch/contract'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertAccountEvents, insertBillingEvents, migrate, readMetricsHistories, withTransaction } from '../src/index.js'

const billing = (customerId: string, eventId: string, occurredAt: string, type: BillingEvent['type'], extra: Partial<BillingEvent> = {}) =>
  ({ eventId, customerId, occurredAt, kind: 'billing', type, ...extra }) as BillingEvent
const account = (customerId: string, eventId: string, occurredAt: string, extra: Partial<AccountEvent>) =>
  ({ eventId, customerId, occurredAt, kind: 'account', ...extra }) as AccountEvent

describe('readMetricsHistories', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('cw_storage_metrics')
    await migrate(db.pool)
    await withTransaction(db.pool, async (tx) => {
      await insertBillingEvents(
        tx,
        [
          billing('m1', 'e1', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 1000, interval: 'year', intervalCount: 1 }),
          billing('m1', 'e2', '2026-01-15T00:00:00Z', 'invoice_paid', { amount: 12000 }),
          billing('m1', 'e3', '2026-02-01T00:00:00Z', 'subscription_ended', { reason: 'price', voluntary: true }),
          billing('m2', 'e4', '2026-01-05T00:00:00Z', 'subscription_started', { mrr: 500 }),
          billing('m2', 'e5', '2026-01-05T00:00:00Z', 'payment_failed', { amount: 500 }),
          billing('m3', 'e6', '2026-01-06T00:00:00Z', 'subscription_started', { mrr: 700 }),
        ],
        (e) => (e.type === 'subscription_started' && e.interval ? { interval: e.interval, intervalCount: e.intervalCount ?? 1 } : {}),
      )
      await insertAccountEvents(tx, [
        account('m1', 'a1', '2026-01-01T00:00:00Z', { segment: 'smb', ownerId: 'ann', attributes: { tier: 'gold' } }),
        account('m3', 'a2', '2026-01-06T00:00:00Z', { segment: 'mid' }),
        account('m3', 'a3', '2026-03-01T00:00:00Z', { segment: null }),
        // No billing history: not a customer, never read.
        account('m9', 'a4', '2026-01-01T00:00:00Z', { segment: 'smb' }),
      ])
    })
  })
  afterAll(() => db.drop())

  it('reads lifecycle events with their terms, chunk by chunk, before `until`', async () => {
    const all = await readMetricsHistories(db.pool, { until: new Date('2026-12-31T00:00:00Z'), chunkCustomers: 2 })
    expect(all.map((h) => [h.customerId, h.billing.map((b) => b.eventId), h.accounts])).toEqual([
      ['m1', ['e1', 'e3'], []],
      ['m2', ['e4'], []],
      ['m3', ['e6'], []],
    ])
    expect(all[0]?.billing[0]).toMatchObject({ type: 'subscription_started', mrr: 1000, interval: 'year', intervalCount: 1, occurredAt: Date.parse('2026-01-01T00:00:00Z') })
    const early = await readMetricsHistories(db.pool, { until: new Date('2026-01-06T00:00:00Z') })
    expect(early.map((h) => h.customerId)).toEqual(['m1', 'm2'])
  })

  it('adds paid invoices and account events (without attributes) on request, across chunk boundaries', async () => {
    const all = await readMetricsHistories(db.pool, { until: new Date('2026-02-15T00:00:00Z'), invoices: true, accounts: true, chunkCustomers: 2 })
    expect(all.map((h) => [h.customerId, h.billing.map((b) => b.eventId), h.accounts.map((a) => a.eventId)])).toEqual([
      ['m1', ['e1', 'e2', 'e3'], ['a1']],
      ['m2', ['e4'], []],
      // a3 (Mar 1) is after `until`.
      ['m3', ['e6'], ['a2']],
    ])
    expect(all[0]?.accounts[0]).toEqual({ eventId: 'a1', occurredAt: Date.parse('2026-01-01T00:00:00Z'), segment: 'smb', ownerId: 'ann' })
  })
})
