import { computeFeatures, defineFeatureSet, historyFromEvents, type CustomerHistory } from '@churnwatch/features'
import { simulateBusiness } from '@churnwatch/simulator'
import { digestFeatureState, migrate, readCustomerHistories } from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import type { ChurnEvent } from '@churnwatch/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backfillLines } from '../src/index.js'

describe('backfill into real PostgreSQL', () => {
  const simulation = simulateBusiness({ customers: 60, months: 8, seed: 21, eventsPerActiveUserPerDay: 0.3 })
  const events = [...simulation.events()] as ChurnEvent[]
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
