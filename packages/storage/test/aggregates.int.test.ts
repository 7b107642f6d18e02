import type { BillingEvent, RiskBand } from '@churnwatch/contract'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  acknowledgeAlert,
  countScoresByBand,
  createApiKey,
  createEndpoint,
  deliveryMessageId,
  enqueueTestWebhook,
  getWebhookMessage,
  hasScope,
  insertBillingEvents,
  knownCustomers,
  listAlerts,
  listApiKeys,
  listScores,
  migrate,
  parseApiKey,
  readLifecycleHistories,
  readScoreHistory,
  resolveAlert,
  revokeApiKey,
  saveScores,
  touchApiKey,
  verifyApiKey,
  webhookHealth,
  withTransaction,
  writeAlerts,
  type AlertRow,
  type ScoreListQuery,
  type ScoreRow,
} from '../src/index.js'

const T0 = '2026-03-01T12:00:00.000Z'

function score(customerId: string, probability: number, mrr: number, overrides: Partial<ScoreRow & { material: boolean }> = {}): ScoreRow & { material: boolean } {
  const band: RiskBand = probability >= 0.6 ? 'high' : probability >= 0.3 ? 'medium' : 'low'
  return {
    customerId,
    probability,
    band,
    drivers: [],
    features: { tenure_days: 100 },
    plan: 'pro',
    mrr,
    revenueAtRisk: Math.round(probability * mrr),
    modelVersion: 'm1',
    asOf: T0,
    scoredAt: T0,
    material: true,
    ...overrides,
  }
}

async function walk(db: TestDatabase, query: Omit<ScoreListQuery, 'after'>, between: (page: number) => Promise<void> = async () => {}) {
  const seen: string[] = []
  let page = await listScores(db.pool, query)
  seen.push(...page.rows.map((r) => r.customerId))
  for (let n = 1; page.next; n++) {
    await between(n)
    page = await listScores(db.pool, { ...query, after: page.next })
    seen.push(...page.rows.map((r) => r.customerId))
  }
  return seen
}

describe('aggregate queries against real PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('cw_api_queries')
    await migrate(db.pool)
  })
  afterAll(() => db.drop())

  const save = (rows: Array<ScoreRow & { material: boolean }>) => withTransaction(db.pool, (tx) => saveScores(tx, rows))
  const reset = () => db.pool.query('TRUNCATE risk_scores, risk_score_history, alerts')

  describe('API keys', () => {
    it('creates a cw_<id>_<secret> key, stores only a hash and verifies the exact key', async () => {
      const created = await createApiKey(db.pool, { name: 'crm', scopes: ['read', 'read'] })
      expect(created.key).toMatch(/^cw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
      expect(created.scopes).toEqual(['read'])
      const { rows } = await db.pool.query<{ hash: string }>('SELECT hash FROM api_keys WHERE id = $1', [created.id])
      expect(rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/)
      expect(JSON.stringify(rows)).not.toContain(parseApiKey(created.key)?.secret)

      expect((await verifyApiKey(db.pool, created.key))?.id).toBe(created.id)
      const wrongSecret = `${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}`
      expect(await verifyApiKey(db.pool, wrongSecret)).toBeUndefined()
      expect(await verifyApiKey(db.pool, 'not-a-key')).toBeUndefined()
      expect(await verifyApiKey(db.pool, `cw_000000000000_${'a'.repeat(43)}`)).toBeUndefined()
    })

    it('stops verifying a revoked key and records the last use', async () => {
      const created = await createApiKey(db.pool, { scopes: ['events:write'] })
      await touchApiKey(db.pool, created.id, new Date(T0))
      expect((await listApiKeys(db.pool)).find((k) => k.id === created.id)?.lastUsedAt).toEqual(new Date(T0))
      expect(await revokeApiKey(db.pool, created.id)).toBe(true)
      expect(await revokeApiKey(db.pool, created.id)).toBe(false)
      expect(await verifyApiKey(db.pool, created.key)).toBeUndefined()
    })

    it('rejects unknown scopes in the database and lets admin imply every scope', async () => {
      await expect(db.pool.query(`INSERT INTO api_keys (id, hash, scopes) VALUES ('0123456789ab', repeat('a', 64), ARRAY['root'])`)).rejects.toThrow(
        /check constraint/,
      )
      expect(hasScope(['admin'], 'events:write')).toBe(true)
      expect(hasScope(['read'], 'events:write')).toBe(false)
    })
  })

  describe('ranked score list', () => {
    it('pages by revenue at risk then customer id, with filters', async () => {
      await reset()
      await save([score('a', 0.9, 1000), score('b', 0.5, 2000), score('c', 0.2, 5000), score('d', 0.5, 1000), score('e', 0.7, 1000)])
      // revenue: a 900, b 1000, c 1000, d 500, e 700 -> b, c (tie by id), a, e, d
      expect(await walk(db, { sort: 'revenueAtRisk', limit: 2 })).toEqual(['b', 'c', 'a', 'e', 'd'])
      expect(await walk(db, { sort: 'probability', limit: 2 })).toEqual(['a', 'e', 'b', 'd', 'c'])
      expect(await walk(db, { sort: 'probability', limit: 10, bands: ['medium'] })).toEqual(['b', 'd'])
      expect(await walk(db, { sort: 'revenueAtRisk', limit: 10, minProbability: 0.7 })).toEqual(['a', 'e'])
    })

    it('never returns a customer twice and skips none that was not rescored while scores change between pages', async () => {
      await reset()
      const ids = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`)
      // Distinct revenues 2000, 1900, ... so the order is c00, c01, ...
      await save(ids.map((id, i) => score(id, 0.5, 4000 - 200 * i)))
      const changed = new Set<string>()
      const seen = await walk(db, { sort: 'revenueAtRisk', limit: 4 }, async (page) => {
        if (page === 1) {
          // c01 was returned on page 1 and drops to the bottom: it must not come back.
          // c10 was not returned yet and jumps to the top: it has already been passed.
          // c15 is rescored without moving (a sweep); c06 changes band in place.
          await save([score('c01', 0.05, 4000), score('c10', 0.99, 4000), score('c15', 0.5, 1000, { material: false })])
          await save([score('c06', 0.9, 2800, { revenueAtRisk: 1400 })])
          for (const id of ['c01', 'c10', 'c15', 'c06']) changed.add(id)
        }
        if (page === 2) {
          // c12 moves from later to right behind the cursor's next rows; c03 (returned) moves down.
          await save([score('c12', 0.5, 3000), score('c03', 0.01, 4000)])
          changed.add('c12').add('c03')
        }
      })
      expect(new Set(seen).size).toBe(seen.length)
      const unchanged = ids.filter((id) => !changed.has(id))
      expect(seen.filter((id) => !changed.has(id))).toEqual(unchanged)
      // What was returned before it changed stays in the walk.
      expect(seen).toEqual(expect.arrayContaining(['c01', 'c03']))
    })

    it('filters on scored_at (updatedSince) and on material changes (changedSince)', async () => {
      await reset()
      await save([score('x', 0.4, 1000), score('y', 0.4, 1000, { scoredAt: '2026-03-02T00:00:00.000Z' })])
      const before = await listScores(db.pool, { sort: 'probability', limit: 10 })
      const seqOfX = before.rows.find((r) => r.customerId === 'x')?.changeSeq ?? 0
      expect((await listScores(db.pool, { sort: 'probability', limit: 10, updatedSince: '2026-03-01T18:00:00Z' })).rows.map((r) => r.customerId)).toEqual([
        'y',
      ])
      expect((await listScores(db.pool, { sort: 'probability', limit: 10, changedSince: seqOfX })).rows.map((r) => r.customerId)).toEqual(['y'])
      expect(before.walkStartedAt).toMatch(/^\d{4}-/)
    })

    it('counts current scores by band', async () => {
      await reset()
      await save([score('p', 0.9, 100), score('q', 0.95, 100), score('r', 0.1, 100)])
      expect(await countScoresByBand(db.pool)).toEqual({ high: 2, low: 1 })
    })
  })

  describe('score history and known customers', () => {
    it('pages material changes newest first', async () => {
      await reset()
      for (let day = 1; day <= 5; day++) {
        const at = `2026-03-0${day}T00:00:00.000Z`
        await save([score('h', day / 10, 1000, { asOf: at, scoredAt: at })])
      }
      const first = await readScoreHistory(db.pool, 'h', { limit: 2 })
      expect(first.entries.map((e) => e.probability)).toEqual([0.5, 0.4])
      const second = await readScoreHistory(db.pool, 'h', { limit: 2, ...(first.next ? { before: first.next } : {}) })
      expect(second.entries.map((e) => e.probability)).toEqual([0.3, 0.2])
      const third = await readScoreHistory(db.pool, 'h', { limit: 2, ...(second.next ? { before: second.next } : {}) })
      expect(third.entries.map((e) => e.probability)).toEqual([0.1])
      expect(third.next).toBeUndefined()
      expect(await knownCustomers(db.pool, ['h', 'nobody'])).toEqual(new Set(['h']))
    })
  })

  describe('alerts', () => {
    const alert = (alertId: string, createdAt: string, overrides: Partial<AlertRow> = {}): AlertRow => ({
      alertId,
      customerId: `cust-${alertId}`,
      kind: 'risk_high',
      status: 'open',
      probability: 0.8,
      revenueAtRisk: 4000,
      drivers: [],
      play: 'call them',
      createdAt,
      updatedAt: createdAt,
      acknowledgedAt: null,
      resolvedAt: null,
      resolution: null,
      ...overrides,
    })

    it('pages newest first with status, kind and since filters', async () => {
      await reset()
      await withTransaction(db.pool, (tx) =>
        writeAlerts(tx, [
          alert('a1', '2026-03-01T00:00:00.000Z'),
          alert('a2', '2026-03-02T00:00:00.000Z', { kind: 'payment_failed' }),
          alert('a3', '2026-03-02T00:00:00.000Z'),
          alert('a4', '2026-03-03T00:00:00.000Z', { status: 'resolved', resolvedAt: '2026-03-04T00:00:00.000Z', resolution: 'ok' }),
        ]),
      )
      const ids: string[] = []
      let page = await listAlerts(db.pool, { limit: 2 })
      ids.push(...page.alerts.map((a) => a.alertId))
      while (page.next) {
        page = await listAlerts(db.pool, { limit: 2, after: page.next })
        ids.push(...page.alerts.map((a) => a.alertId))
      }
      expect(ids).toEqual(['a4', 'a2', 'a3', 'a1'])
      expect((await listAlerts(db.pool, { limit: 10, statuses: ['open'], kinds: ['risk_high'] })).alerts.map((a) => a.alertId)).toEqual(['a3', 'a1'])
      expect((await listAlerts(db.pool, { limit: 10, since: '2026-03-02T00:00:00Z' })).alerts.map((a) => a.alertId)).toEqual(['a4', 'a2', 'a3'])
    })

    it('acknowledges and resolves with idempotent repeats and a conflict for acknowledging a resolved alert', async () => {
      const at = new Date('2026-03-05T00:00:00Z')
      const ack = await withTransaction(db.pool, (tx) => acknowledgeAlert(tx, 'a1', at))
      expect(ack).toMatchObject({ outcome: 'changed', alert: { status: 'acknowledged', acknowledgedAt: at.toISOString(), updatedAt: at.toISOString() } })
      expect(await withTransaction(db.pool, (tx) => acknowledgeAlert(tx, 'a1', at))).toMatchObject({ outcome: 'unchanged' })
      const resolved = await withTransaction(db.pool, (tx) => resolveAlert(tx, 'a1', at, 'customer renewed'))
      expect(resolved).toMatchObject({ outcome: 'changed', alert: { status: 'resolved', resolution: 'customer renewed' } })
      expect(await withTransaction(db.pool, (tx) => resolveAlert(tx, 'a1', at, 'again'))).toMatchObject({ outcome: 'unchanged' })
      expect(await withTransaction(db.pool, (tx) => acknowledgeAlert(tx, 'a1', at))).toMatchObject({ outcome: 'conflict' })
      expect(await withTransaction(db.pool, (tx) => acknowledgeAlert(tx, 'missing', at))).toEqual({ outcome: 'not_found' })
    })
  })

  describe('metrics input', () => {
    it('reads lifecycle billing events of every customer in chunks, before `until`', async () => {
      const billing = (customerId: string, eventId: string, occurredAt: string, type: BillingEvent['type'], extra: Partial<BillingEvent> = {}) =>
        ({ eventId, customerId, occurredAt, kind: 'billing', type, ...extra }) as BillingEvent
      await withTransaction(db.pool, (tx) =>
        insertBillingEvents(tx, [
          billing('m1', 'e1', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 1000 }),
          billing('m1', 'e2', '2026-01-15T00:00:00Z', 'invoice_paid', { amount: 1000 }),
          billing('m1', 'e3', '2026-02-01T00:00:00Z', 'subscription_ended', { reason: 'price', voluntary: true }),
          billing('m2', 'e4', '2026-01-05T00:00:00Z', 'subscription_started', { mrr: 500 }),
          billing('m3', 'e5', '2026-01-06T00:00:00Z', 'subscription_started', { mrr: 700 }),
        ]),
      )
      const all = await readLifecycleHistories(db.pool, { chunkCustomers: 2 })
      expect(all.map((h) => [h.customerId, h.billing.map((b) => b.eventId)])).toEqual([
        ['m1', ['e1', 'e3']],
        ['m2', ['e4']],
        ['m3', ['e5']],
      ])
      expect(all[0]?.billing[1]).toMatchObject({ type: 'subscription_ended', reason: 'price', voluntary: true, occurredAt: Date.parse('2026-02-01T00:00:00Z') })
      const early = await readLifecycleHistories(db.pool, { until: new Date('2026-01-06T00:00:00Z') })
      expect(early.map((h) => h.customerId)).toEqual(['m1', 'm2'])
    })
  })

  describe('webhook helpers', () => {
    it('enqueues a test message for one endpoint only and maps a delivery to its message', async () => {
      const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`
      await createEndpoint(db.pool, { id: 'ep1', url: 'http://127.0.0.1:9/a', secret, eventKinds: ['*'] })
      await createEndpoint(db.pool, { id: 'ep2', url: 'http://127.0.0.1:9/b', secret, eventKinds: ['*'] })
      const messageId = await enqueueTestWebhook(db.pool, { endpointId: 'ep1', payload: { hello: 'world' } })
      expect(messageId).toMatch(/^msg_[0-9a-f]{32}$/)
      expect(await enqueueTestWebhook(db.pool, { endpointId: 'nope', payload: {} })).toBeUndefined()
      const message = await getWebhookMessage(db.pool, messageId ?? '')
      expect(message).toMatchObject({ endpointId: 'ep1', eventType: 'test', status: 'pending', payload: { hello: 'world' } })
      const { rows } = await db.pool.query<{ id: number }>(
        `INSERT INTO webhook_deliveries (message_id, endpoint_id, attempted_at, status_code, latency_ms, ok)
         VALUES ($1, 'ep1', now(), 500, 12, false) RETURNING id`,
        [messageId],
      )
      expect(await deliveryMessageId(db.pool, rows[0]?.id ?? 0)).toBe(messageId)
      await db.pool.query(`UPDATE webhook_endpoints SET failing_since = now() WHERE id = 'ep1'`)
      expect(await webhookHealth(db.pool)).toEqual({ messagesByStatus: { pending: 1 }, failingEndpoints: 1, disabledEndpoints: 0 })
    })
  })
})
