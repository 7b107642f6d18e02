import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPool, migrate, readCustomerHistories, type Pool } from '../src/index.js'

describe('reading histories for a scoring window', () => {
  let db: TestDatabase
  let pool: Pool

  beforeAll(async () => {
    db = await createTestDatabase('cw_histories')
    pool = createPool({ connectionString: db.url, max: 2 })
    await migrate(pool)
    const buckets: Array<[string, string, string, number, number]> = [
      ['acme', '2025-01-10', 'unfriend', 2, 2],
      ['acme', '2025-03-01', 'unfriend', 1, 1],
      ['acme', '2025-02-01', 'login', 5, 5],
      ['acme', '2025-02-01', 'seat_added', 1, 3],
      ['acme', '2026-03-01', 'login', 4, 4], // inside the window
      ['acme', '2026-03-31', 'unfriend', 1, 1], // the window's last day
      ['acme', '2026-04-01', 'unfriend', 7, 7], // after the window
      ['quiet', '2025-06-01', 'login', 3, 3],
    ]
    for (const [customerId, day, action, count, quantity] of buckets) {
      await pool.query('INSERT INTO daily_activity (customer_id, day, action, event_count, quantity) VALUES ($1, $2, $3, $4, $5)', [customerId, day, action, count, quantity])
    }
  })
  afterAll(async () => {
    await pool.end()
    await db.drop()
  })

  it('returns the window whole, every seat bucket, and one bucket per other action before the window with its total on its last day', async () => {
    const histories = await readCustomerHistories(pool, ['acme', 'quiet', 'unknown'], { sinceDay: '2025-12-31', untilDay: '2026-03-31' })
    const byDay = (a: { day: string; action: string }, b: { day: string; action: string }) => a.day.localeCompare(b.day) || a.action.localeCompare(b.action)
    expect(histories.find((h) => h.customerId === 'acme')?.activity.sort(byDay)).toEqual([
      { day: '2025-02-01', action: 'login', eventCount: 5, quantity: 5 },
      { day: '2025-02-01', action: 'seat_added', eventCount: 1, quantity: 3 },
      { day: '2025-03-01', action: 'unfriend', eventCount: 3, quantity: 3 },
      { day: '2026-03-01', action: 'login', eventCount: 4, quantity: 4 },
      { day: '2026-03-31', action: 'unfriend', eventCount: 1, quantity: 1 },
    ])
    expect(histories.find((h) => h.customerId === 'quiet')?.activity).toEqual([{ day: '2025-06-01', action: 'login', eventCount: 3, quantity: 3 }])
    expect(histories.find((h) => h.customerId === 'unknown')?.activity).toEqual([])
    // A full read returns every bucket as stored.
    const [full] = await readCustomerHistories(pool, ['acme'], { untilDay: '2026-03-31' })
    expect(full?.activity).toHaveLength(6)
  })
})
