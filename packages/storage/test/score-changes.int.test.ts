import net from 'node:net'
import { createTestDatabase, waitFor, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { deleteScores, listenForScoreChanges, migrate, saveScores, withTransaction, type ScoreChangeFeed, type ScoreRow } from '../src/index.js'

const T0 = '2026-03-01T12:00:00.000Z'

function score(customerId: string, probability: number): ScoreRow & { material: boolean } {
  return {
    customerId,
    probability,
    band: probability >= 0.6 ? 'high' : probability >= 0.3 ? 'medium' : 'low',
    drivers: [],
    features: { tenure_days: 100 },
    plan: 'pro',
    mrr: 10_000,
    revenueAtRisk: Math.round(probability * 10_000),
    modelVersion: 'm1',
    asOf: T0,
    scoredAt: T0,
    material: true,
  }
}

/** Everything a feed reports, in order. */
function record(feed: ScoreChangeFeed) {
  const events: Array<{ kind: 'changed'; ids: string[] } | { kind: 'cleared' | 'listening' | 'lost' }> = []
  feed.subscribe({
    changed: (ids) => events.push({ kind: 'changed', ids }),
    cleared: () => events.push({ kind: 'cleared' }),
    listening: () => events.push({ kind: 'listening' }),
    lost: () => events.push({ kind: 'lost' }),
  })
  const changedIds = () => events.flatMap((e) => (e.kind === 'changed' ? e.ids : []))
  return { events, changedIds }
}

const until = (condition: () => boolean, description: string) => waitFor(condition, { description, intervalMs: 20, timeoutMs: 10_000 })

/**
 * A TCP relay to PostgreSQL whose open connections can be frozen: bytes stop flowing both ways but
 * neither side sees a close, as with a dead network path. New connections relay normally.
 */
async function freezableRelay(target: URL) {
  const pairs: Array<[net.Socket, net.Socket]> = []
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    pairs.push([client, upstream])
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = new URL(target)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as net.AddressInfo).port)
  return {
    url: url.toString(),
    freezeOpenConnections() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.pause()
        upstream.pause()
      }
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy()
        upstream.destroy()
      }
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('risk_scores change feed (LISTEN/NOTIFY, migration 0009)', () => {
  let db: TestDatabase
  let feed: ScoreChangeFeed
  beforeAll(async () => {
    db = await createTestDatabase('cw_score_changes')
    await migrate(db.pool)
  })
  afterEach(() => feed?.close())
  afterAll(() => db.drop())

  const open = async (heartbeatMs = 5_000, connectionString = db.url) => {
    feed = listenForScoreChanges({ connectionString, applicationName: 'cw-test-score-changes', heartbeatMs, reconnectMs: 50 })
    const seen = record(feed)
    await until(() => feed.listening, 'the feed to listen')
    return seen
  }
  const save = (rows: Array<ScoreRow & { material: boolean }>) => withTransaction(db.pool, (tx) => saveScores(tx, rows))

  it('names the customers of every committed insert, update and delete, and nothing rolled back', async () => {
    const seen = await open()
    await save([score('a', 0.1), score('b', 0.2)])
    await until(() => seen.changedIds().includes('b'), 'the insert')
    await save([score('a', 0.9)])
    await withTransaction(db.pool, (tx) => deleteScores(tx, ['b']))
    await withTransaction(db.pool, async (tx) => {
      await saveScores(tx, [score('rolled-back', 0.5)])
      throw new Error('abort')
    }).catch(() => undefined)
    await save([score('last', 0.5)])
    await until(() => seen.changedIds().includes('last'), 'the last write')
    expect(seen.changedIds().sort()).toEqual(['a', 'a', 'b', 'b', 'last'])
  })

  it('splits a large statement into notifications under the 8,000-byte limit and loses no id', async () => {
    const seen = await open()
    const ids = Array.from({ length: 3_000 }, (_, i) => `customer-${String(i).padStart(5, '0')}-${'x'.repeat(100)}`)
    await db.pool.query(
      `INSERT INTO risk_scores (customer_id, probability, band, drivers, features, mrr, revenue_at_risk, model_version, as_of, scored_at,
                                published_probability, published_band, change_seq)
       SELECT id, 0.5, 'medium', '[]', '{}', 100, 50, 'm1', now(), now(), 0.5, 'medium', nextval('risk_score_seq') FROM unnest($1::text[]) id`,
      [ids],
    )
    await until(() => seen.changedIds().length >= ids.length, 'every id')
    expect(new Set(seen.changedIds())).toEqual(new Set(ids))
    // 3,000 ids of ~120 bytes: at least 45 payloads of under 8,000 bytes each.
    expect(seen.events.filter((e) => e.kind === 'changed').length).toBeGreaterThanOrEqual(45)
  })

  it('says "cleared" on TRUNCATE, which fires no delete trigger', async () => {
    const seen = await open()
    await db.pool.query('TRUNCATE risk_scores')
    await until(() => seen.events.some((e) => e.kind === 'cleared'), 'cleared')
  })

  it('reports a lost connection, reconnects, and hears changes again', async () => {
    const seen = await open()
    await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cw-test-score-changes'`)
    await until(() => seen.events.some((e) => e.kind === 'lost'), 'lost')
    await until(() => feed.listening, 'listening again')
    expect(seen.events.map((e) => e.kind).filter((k) => k !== 'changed')).toEqual(['listening', 'lost', 'listening'])
    await save([score('after-reconnect', 0.3)])
    await until(() => seen.changedIds().includes('after-reconnect'), 'a change after reconnecting')
  })

  it('counts a connection that stops delivering as lost (missed heartbeat) and listens again on a new one', async () => {
    const relay = await freezableRelay(new URL(db.url))
    try {
      const seen = await open(300, relay.url)
      relay.freezeOpenConnections()
      await until(() => seen.events.some((e) => e.kind === 'lost'), 'lost after a missed heartbeat')
      await until(() => feed.listening, 'listening on a new connection')
      await save([score('after-silence', 0.3)])
      await until(() => seen.changedIds().includes('after-silence'), 'a change after reconnecting')
    } finally {
      await feed.close()
      await relay.close()
    }
  })

  it('treats a payload it cannot read as a loss, and listens again', async () => {
    const seen = await open()
    await db.pool.query(`SELECT pg_notify('churnwatch_risk_scores', '[not json')`)
    await until(() => seen.events.some((e) => e.kind === 'lost'), 'lost')
    await until(() => feed.listening, 'listening again')
  })

  it('keeps listening while its heartbeats come back', async () => {
    // Five heartbeats, each with half a second to come back (generous for a loaded CI machine).
    const seen = await open(500)
    await new Promise((resolve) => setTimeout(resolve, 2_700))
    expect(feed.listening).toBe(true)
    expect(seen.events.filter((e) => e.kind === 'lost')).toEqual([])
  })
})
