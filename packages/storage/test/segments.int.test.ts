import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate, readSegmentsAsOf } from '../src/index.js'

describe('readSegmentsAsOf against real PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('cw_segments')
    await migrate(db.pool)
    const account = (customerId: string, at: string, eventId: string, fields: Record<string, unknown>) =>
      db.pool.query('INSERT INTO account_events (customer_id, occurred_at, event_id, fields) VALUES ($1, $2, $3, $4)', [customerId, at, eventId, JSON.stringify(fields)])
    await account('acme', '2026-01-01T00:00:00Z', 'a1', { segment: 'smb' })
    await account('acme', '2026-02-01T00:00:00Z', 'a2', { segment: 'enterprise' })
    // An event without segment keeps the earlier value.
    await account('acme', '2026-02-10T00:00:00Z', 'a3', { ownerId: 'u-1' })
    await account('globex', '2026-01-01T00:00:00Z', 'g1', { segment: 'smb' })
    await account('globex', '2026-02-05T00:00:00Z', 'g2', { segment: null })
    await account('initech', '2026-03-01T00:00:00Z', 'i1', { segment: 'mid' })
  })
  afterAll(() => db.drop())

  it('gives each customer the latest segment sent at or before T; a null clears it', async () => {
    expect(await readSegmentsAsOf(db.pool, new Date('2026-02-15T00:00:00Z'))).toEqual(new Map([['acme', 'enterprise']]))
    expect(await readSegmentsAsOf(db.pool, new Date('2026-01-15T00:00:00Z'))).toEqual(
      new Map([
        ['acme', 'smb'],
        ['globex', 'smb'],
      ]),
    )
    expect((await readSegmentsAsOf(db.pool, new Date('2026-03-01T00:00:00Z'))).get('initech')).toBe('mid')
  })
})
