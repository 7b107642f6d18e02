import type { ChurnEvent } from '@churnwatch/contract'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPool, insertNewEvents, loadMigrations, migrate, readCustomerEvents, type Pool } from '../src/index.js'

describe('storage against real PostgreSQL', () => {
  let db: TestDatabase
  let pool: Pool

  // A migrated database for the tests that need one; the first test migrates an empty one of its own.
  beforeAll(async () => {
    db = await createTestDatabase('cw_storage')
    pool = createPool({ connectionString: db.url, max: 3 })
    await migrate(pool)
  })
  afterAll(async () => {
    await pool.end()
    await db.drop()
  })

  it('applies every migration once and records it', async () => {
    const empty = await createTestDatabase('cw_storage_empty')
    try {
      const first = await migrate(empty.pool)
      const all = await loadMigrations()
      expect(first.applied).toHaveLength(all.length)
      const second = await migrate(empty.pool)
      expect(second).toEqual({ applied: [], alreadyApplied: all.length })
      const { rows } = await empty.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      expect(rows.map((r) => r.version)).toEqual(all.map((m) => m.version))
    } finally {
      await empty.drop()
    }
  })

  it('refuses to run when an applied migration was edited', async () => {
    const [firstMigration, ...rest] = await loadMigrations()
    if (!firstMigration) throw new Error('no migrations')
    const edited = { ...firstMigration, sql: `${firstMigration.sql}\n-- edited`, checksum: 'different' }
    await expect(migrate(pool, [edited, ...rest])).rejects.toThrow(/was changed after it was applied/)
  })

  it('writes events and reads them back in event-time order, skipping repeated eventIds', async () => {
    const later: ChurnEvent = {
      eventId: 'u-2',
      customerId: 'acme',
      occurredAt: '2026-03-02T09:00:00Z',
      kind: 'usage',
      action: 'login',
      quantity: 1,
    }
    const earlier: ChurnEvent = {
      eventId: 'b-1',
      customerId: 'acme',
      occurredAt: '2026-03-01T00:00:00+01:00',
      kind: 'billing',
      type: 'subscription_started',
      mrr: 4900,
      currency: 'USD',
      plan: 'pro',
    }
    const fresh = await insertNewEvents(pool, [later, earlier, later])
    expect(fresh.map((e) => e.eventId)).toEqual(['u-2', 'b-1'])
    const again = await insertNewEvents(pool, [earlier])
    expect(again).toEqual([])

    const stored = await readCustomerEvents(pool, 'acme')
    expect(stored.map((e) => e.eventId)).toEqual(['b-1', 'u-2'])
    expect(stored[0]?.occurredAt.toISOString()).toBe('2026-02-28T23:00:00.000Z')
    expect(stored[0]?.payload).toMatchObject({ type: 'subscription_started', mrr: 4900 })
  })
})
