import { computeFeatures, defineFeatureSet, historyFromEvents, type CustomerHistory } from '@churnwatch/features'
import { simulateBusiness } from '@churnwatch/simulator'
import { digestFeatureState, migrate, readCustomerHistories } from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import type { ChurnEvent } from '@churnwatch/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backfillLines } from '../src/index.js'

describe('backfill into real PostgreSQL', () => {
  const simulation = simulateBusiness({ customers: 60, months: 8, seed: 21, eventsPerActiveUserPerDay: 0.3 })
  const events: ChurnEvent[] = [...simulation.events()]
  const lines = events.map((e) => JSON.stringify(e))
  let db: TestDatabase
  let loaded: Awaited<ReturnType<typeof backfillLines>>
  // Every test reads the world of this hook, never one another test left behind.
  beforeAll(async () => {
    db = await createTestDatabase('cw_backfill')
    await migrate(db.pool)
    loaded = await backfillLines(db.pool, lines, { batchSize: 700 })
  })
  afterAll(() => db.drop())

  it('stores histories that compute the same features as the raw events, at any asOf', async () => {
    expect(loaded).toEqual({ accepted: events.length, duplicates: 0, rejected: [] })
    const featureSet = defineFeatureSet(['login', 'api_call'])
    const ids = [...new Set(events.map((e) => e.customerId))].sort()
    const stored = new Map((await readCustomerHistories(db.pool, ids)).map((h) => [h.customerId, h as CustomerHistory]))
    for (const asOf of ['2025-03-15T00:00:00Z', '2025-06-01T12:00:00Z', '2025-08-31T00:00:00Z']) {
      for (const id of ids) {
        const fromStore = stored.get(id)
        if (!fromStore) throw new Error(`missing ${id}`)
        const fromEvents = historyFromEvents(id, events)
        expect(computeFeatures(fromStore, asOf, featureSet).values, `${id} at ${asOf}`).toEqual(
          computeFeatures(fromEvents, asOf, featureSet).values,
        )
      }
    }
  })

  it('is idempotent and reports bad lines with their line number and issues', async () => {
    const before = await digestFeatureState(db.pool)
    const again = await backfillLines(db.pool, [...lines.slice(0, 50), '{"kind":"usage"}', 'oops'])
    expect(again.accepted).toBe(0)
    expect(again.duplicates).toBe(50)
    expect(again.rejected.map((r) => r.line)).toEqual([51, 52])
    expect(again.rejected[0]?.issues.some((i) => i.path === 'eventId')).toBe(true)
    expect(await digestFeatureState(db.pool)).toBe(before)
  })

  it('folds account events and contract terms once, storing the same history as the reference fold', async () => {
    const own: ChurnEvent[] = [
      { eventId: 'ct-b1', customerId: 'terms-co', occurredAt: '2026-01-01T00:00:00Z', kind: 'billing', type: 'subscription_started', mrr: 5000, interval: 'month', intervalCount: 3 },
      { eventId: 'ct-b2', customerId: 'terms-co', occurredAt: '2026-01-01T00:00:01Z', kind: 'billing', type: 'invoice_paid', amount: 15000, currentPeriodEnd: '2026-04-01T02:00:00+02:00', cancelAtPeriodEnd: false },
      { eventId: 'ct-b3', customerId: 'terms-co', occurredAt: '2026-02-01T00:00:00Z', kind: 'billing', type: 'subscription_canceled', effectiveAt: '2026-04-01T00:00:00Z' },
      { eventId: 'ct-b4', customerId: 'terms-co', occurredAt: '2026-02-02T00:00:00Z', kind: 'billing', type: 'payment_failed', interval: 'fortnight' },
      { eventId: 'ct-a1', customerId: 'terms-co', occurredAt: '2026-01-02T00:00:00Z', kind: 'account', name: 'Terms Co', employees: 9, attributes: { tier: 'gold' } },
      { eventId: 'ct-a2', customerId: 'terms-co', occurredAt: '2026-01-03T00:00:00Z', kind: 'account', name: null, segment: 'smb' },
    ]
    const ownLines = own.map((e) => JSON.stringify(e))
    const poisoned = JSON.stringify({ eventId: 'ct-a3', customerId: 'terms-co', occurredAt: '2026-01-04T00:00:00Z', kind: 'account', attributes: { vip: true } })
    const first = await backfillLines(db.pool, [...ownLines, poisoned, ownLines[4] ?? ''])
    expect(first.accepted).toBe(own.length)
    expect(first.duplicates).toBe(1)
    expect(first.rejected).toEqual([{ line: 7, issues: [{ path: 'attributes.vip', message: 'must be a string, a finite number or null, got a boolean' }] }])
    const before = await digestFeatureState(db.pool)
    expect((await backfillLines(db.pool, ownLines)).accepted).toBe(0)
    expect(await digestFeatureState(db.pool)).toBe(before)

    const [stored] = await readCustomerHistories(db.pool, ['terms-co'])
    const reference = historyFromEvents('terms-co', own)
    expect(stored?.billing).toEqual(reference.billing)
    expect(stored?.accounts).toEqual(reference.accounts)
    expect(stored?.billing[1]).toMatchObject({ currentPeriodEnd: Date.parse('2026-04-01T00:00:00Z'), cancelAtPeriodEnd: false })
    expect(stored?.billing[3]).not.toHaveProperty('interval')
    expect(stored?.accounts[1]).toEqual({ eventId: 'ct-a2', occurredAt: Date.parse('2026-01-03T00:00:00Z'), name: null, segment: 'smb' })
  })

  it('windowed reads for scoring give the same features as full reads', async () => {
    const { readCustomerHistories: read } = await import('@churnwatch/storage')
    const ids = [...new Set(events.map((e) => e.customerId))].sort()
    const asOf = '2025-08-20T00:00:00Z'
    const featureSet = defineFeatureSet(['login'])
    const full = await read(db.pool, ids, { untilDay: '2025-08-19' })
    const windowed = await read(db.pool, ids, { sinceDay: '2025-05-21', untilDay: '2025-08-19' })
    for (let i = 0; i < ids.length; i += 1) {
      const a = full[i]
      const b = windowed[i]
      if (!a || !b) throw new Error('missing history')
      expect(computeFeatures(b, asOf, featureSet).values).toEqual(computeFeatures(a, asOf, featureSet).values)
    }
  })
})
