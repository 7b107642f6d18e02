import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOutboxRelay, createPool, enqueueKafkaMessages, migrate, relayKafkaOutbox, withTransaction, type KafkaOutboxMessage, type Pool } from '../src/index.js'

describe('kafka outbox against real PostgreSQL', () => {
  let db: TestDatabase
  let pool: Pool
  const pending = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM kafka_outbox')).rows[0]?.n

  beforeAll(async () => {
    db = await createTestDatabase('cw_kafka_outbox')
    pool = createPool({ connectionString: db.url, max: 3 })
    await migrate(pool)
  })
  afterAll(async () => {
    await pool.end()
    await db.drop()
  })

  it('keeps nothing from a rolled-back transaction', async () => {
    await expect(
      withTransaction(pool, async (tx) => {
        await enqueueKafkaMessages(tx, 'alerts', [{ key: 'acme', value: { n: 1 } }])
        throw new Error('scoring failed')
      }),
    ).rejects.toThrow('scoring failed')
    expect(await pending()).toBe(0)
  })

  it('relays committed messages in order per topic, deletes them, and keeps them when publishing fails', async () => {
    await withTransaction(pool, async (tx) => {
      await enqueueKafkaMessages(tx, 'alerts', [
        { key: 'acme', value: { n: 1 } },
        { key: 'globex', value: { n: 2 } },
      ])
      await enqueueKafkaMessages(tx, 'scores', [{ key: 'acme', value: { n: 3 } }])
    })
    await withTransaction(pool, (tx) => enqueueKafkaMessages(tx, 'alerts', [{ key: null, value: { n: 4, text: 'é ✓' } }]))

    // The broker is away: nothing is lost.
    await expect(relayKafkaOutbox(pool, () => Promise.reject(new Error('broker away')))).rejects.toThrow('broker away')
    expect(await pending()).toBe(4)

    const sent: Array<{ topic: string; messages: KafkaOutboxMessage[] }> = []
    const relayed = await relayKafkaOutbox(
      pool,
      async (topic, messages) => {
        sent.push({ topic, messages })
      },
      2,
    )
    expect(relayed).toBe(4)
    expect(sent).toEqual([
      { topic: 'alerts', messages: [{ key: 'acme', value: { n: 1 } }, { key: 'globex', value: { n: 2 } }] },
      { topic: 'scores', messages: [{ key: 'acme', value: { n: 3 } }] },
      { topic: 'alerts', messages: [{ key: null, value: { n: 4, text: 'é ✓' } }] },
    ])
    expect(await pending()).toBe(0)
    expect(await relayKafkaOutbox(pool, () => Promise.reject(new Error('not called')))).toBe(0)
  })

  it('runs one relay per process: flushes during a relay ride along, and a failure is reported, not thrown', async () => {
    const published: unknown[] = []
    const errors: unknown[] = []
    let fail = true
    const relay = createOutboxRelay(
      pool,
      async (_topic, messages) => {
        if (fail) throw new Error('broker away')
        published.push(...messages.map((m) => m.value))
      },
      (err) => errors.push(err),
    )
    await withTransaction(pool, (tx) => enqueueKafkaMessages(tx, 'alerts', [{ key: 'a', value: 1 }]))
    await relay.flush()
    expect(errors).toHaveLength(1)
    expect(await pending()).toBe(1)

    fail = false
    const first = relay.flush()
    await withTransaction(pool, (tx) => enqueueKafkaMessages(tx, 'alerts', [{ key: 'b', value: 2 }]))
    const second = relay.flush()
    await Promise.all([first, second])
    await relay.idle()
    expect(published).toEqual([1, 2])
    expect(await pending()).toBe(0)
  })
})
