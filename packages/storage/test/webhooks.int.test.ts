import type { WebhookOutboxMessage } from '@churnwatch/contract'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  claimDueMessages,
  createEndpoint,
  deleteEndpoint,
  disableEndpoint,
  enableEndpoint,
  enqueueWebhooks,
  getEndpoint,
  getEndpointSecret,
  getWebhookMessage,
  listDeliveries,
  listEndpoints,
  migrate,
  recordAttempt,
  redeliver,
  webhookMessageId,
  withTransaction,
} from '../src/index.js'

const T0 = new Date('2026-03-01T12:00:00Z')
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
const at = (ms: number) => new Date(T0.getTime() + ms)
const LEASE_MS = 60_000

describe('webhook storage against real PostgreSQL', () => {
  // Enqueueing fans out to every subscribed endpoint in the database: each test gets its own database.
  let db: TestDatabase
  beforeEach(async () => {
    db = await createTestDatabase('cw_webhook_store')
    await migrate(db.pool)
  })
  afterEach(() => db.drop())

  const endpoint = (id: string, eventKinds: string[]) =>
    createEndpoint(db.pool, { id, url: `http://127.0.0.1:9/${id}`, secret: SECRET, eventKinds, description: `receiver ${id}`, now: T0 })

  const outbox = async () =>
    (await db.pool.query<{ endpoint_id: string; message_id: string }>('SELECT endpoint_id, message_id FROM webhook_outbox ORDER BY endpoint_id')).rows

  it('enqueues one message per enabled endpoint subscribed to the kind or to *, with ids derived from the event id', async () => {
    await endpoint('risk', ['risk_high'])
    await endpoint('all', ['*'])
    await endpoint('payments', ['payment_failed'])
    await endpoint('off', ['risk_high'])
    await disableEndpoint(db.pool, { endpointId: 'off', reason: 'paused by operator' })

    const enqueued = await enqueueWebhooks(db.pool, {
      eventType: 'risk_high',
      payload: { alertId: 'a-1', customerId: 'acme' },
      customerId: 'acme',
      messageIdPrefix: 'evt-1',
      now: T0,
    })

    expect(enqueued).toEqual([
      { endpointId: 'all', messageId: webhookMessageId('evt-1', 'all') },
      { endpointId: 'risk', messageId: webhookMessageId('evt-1', 'risk') },
    ])
    const message = await getWebhookMessage(db.pool, webhookMessageId('evt-1', 'risk'))
    expect(message).toMatchObject({
      eventType: 'risk_high',
      payload: { alertId: 'a-1', customerId: 'acme' },
      customerId: 'acme',
      status: 'pending',
      attempts: 0,
      createdAt: T0,
      nextAttemptAt: T0,
    })
    expect(message?.messageId).toMatch(/^msg_[0-9a-f]{32}$/)
  })

  it('sends risk_changed only to endpoints that name it: * means every alert kind, not every score change', async () => {
    await endpoint('all', ['*'])
    await endpoint('changes', ['risk_changed'])
    const enqueued = await enqueueWebhooks(db.pool, { eventType: 'risk_changed', payload: { customerId: 'acme' }, customerId: 'acme', messageIdPrefix: 'rs-1', now: T0 })
    expect(enqueued).toEqual([{ endpointId: 'changes', messageId: webhookMessageId('rs-1', 'changes') }])
    const spike = await enqueueWebhooks(db.pool, { eventType: 'churn_rate_spike', payload: {}, messageIdPrefix: 'ae-1', now: T0 })
    expect(spike.map((e) => e.endpointId)).toEqual(['all'])
  })

  it('inserts a replayed event once (same stable id), even when the id holds odd characters', async () => {
    await endpoint('risk', ['risk_high'])
    const input = { eventType: 'risk_high', payload: { n: 1 }, messageIdPrefix: 'alert acme/risk_high\n#1 ✓', now: T0 }
    expect(await enqueueWebhooks(db.pool, input)).toHaveLength(1)
    expect(await enqueueWebhooks(db.pool, { ...input, payload: { n: 2 } })).toEqual([])
    const rows = await outbox()
    expect(rows).toHaveLength(1)
    expect((await getWebhookMessage(db.pool, rows[0]?.message_id ?? ''))?.payload).toEqual({ n: 1 })
  })

  it('keeps outbox rows in the caller transaction: a rollback leaves none', async () => {
    await endpoint('risk', ['risk_high'])
    await expect(
      withTransaction(db.pool, async (tx) => {
        await enqueueWebhooks(tx, { eventType: 'risk_high', payload: {}, messageIdPrefix: 'evt-rolled-back' })
        throw new Error('alert write failed')
      }),
    ).rejects.toThrow('alert write failed')
    expect(await outbox()).toEqual([])
  })

  it('lets concurrent workers claim disjoint messages and hides claimed ones until the lease ends', async () => {
    await endpoint('risk', ['risk_high'])
    for (let i = 0; i < 6; i++) {
      await enqueueWebhooks(db.pool, { eventType: 'risk_high', payload: { i }, messageIdPrefix: `evt-${i}`, now: T0 })
    }
    const holder = await db.pool.connect()
    try {
      // Worker A's claim is still uncommitted: its rows are locked, and SKIP LOCKED passes over them.
      await holder.query('BEGIN')
      const a = await claimDueMessages(holder, { limit: 3, now: T0, leaseMs: LEASE_MS })
      const b = await claimDueMessages(db.pool, { limit: 10, now: T0, leaseMs: LEASE_MS })
      await holder.query('COMMIT')
      expect(a).toHaveLength(3)
      expect(b).toHaveLength(3)
      const ids = new Set([...a, ...b].map((m) => m.messageId))
      expect(ids.size).toBe(6)
    } finally {
      holder.release()
    }

    expect(await claimDueMessages(db.pool, { limit: 10, now: at(LEASE_MS - 1), leaseMs: LEASE_MS })).toEqual([])
    const again = await claimDueMessages(db.pool, { limit: 10, now: at(LEASE_MS), leaseMs: LEASE_MS })
    expect(again).toHaveLength(6)
    expect(again[0]).toMatchObject({ url: 'http://127.0.0.1:9/risk', secret: SECRET, endpointDescription: 'receiver risk' })
  })

  it('does not claim messages of a disabled endpoint nor messages not yet due', async () => {
    await endpoint('risk', ['risk_high'])
    await enqueueWebhooks(db.pool, { eventType: 'risk_high', payload: {}, messageIdPrefix: 'later', now: at(1_000) })
    expect(await claimDueMessages(db.pool, { limit: 10, now: T0, leaseMs: LEASE_MS })).toEqual([])
    await disableEndpoint(db.pool, { endpointId: 'risk', reason: 'paused' })
    expect(await claimDueMessages(db.pool, { limit: 10, now: at(2_000), leaseMs: LEASE_MS })).toEqual([])
  })

  it('records attempts with the delivery log, the retry schedule and the endpoint failure streak', async () => {
    await endpoint('risk', ['risk_high'])
    await enqueueWebhooks(db.pool, { eventType: 'risk_high', payload: {}, messageIdPrefix: 'evt-1', now: T0 })
    const attempt = async (now: Date, claimed: WebhookOutboxMessage, result: 'ok' | 500) =>
      recordAttempt(db.pool, {
        messageId: claimed.messageId,
        endpointId: 'risk',
        leaseUntil: claimed.leaseUntil,
        attemptedAt: now,
        statusCode: result === 'ok' ? 200 : 500,
        latencyMs: 12.4,
        error: result === 'ok' ? null : 'HTTP 500',
        outcome: result === 'ok' ? { status: 'delivered' } : { status: 'failed', nextAttemptAt: new Date(now.getTime() + 10_000) },
      })

    const [first] = await claimDueMessages(db.pool, { limit: 1, now: T0, leaseMs: LEASE_MS })
    if (!first) throw new Error('nothing claimed')
    expect(await attempt(T0, first, 500)).toEqual({ applied: true, endpointFailingSince: T0 })
    expect(await getWebhookMessage(db.pool, first.messageId)).toMatchObject({
      status: 'failed',
      attempts: 1,
      nextAttemptAt: at(10_000),
      lastError: 'HTTP 500',
    })

    const [second] = await claimDueMessages(db.pool, { limit: 1, now: at(10_000), leaseMs: LEASE_MS })
    if (!second) throw new Error('retry not claimed')
    expect(second.attempts).toBe(1)
    expect(await attempt(at(10_000), second, 500)).toEqual({ applied: true, endpointFailingSince: T0 })

    const [third] = await claimDueMessages(db.pool, { limit: 1, now: at(10_000), leaseMs: LEASE_MS })
    expect(third).toBeUndefined()
    const [retry] = await claimDueMessages(db.pool, { limit: 1, now: at(20_000), leaseMs: LEASE_MS })
    if (!retry) throw new Error('second retry not claimed')
    expect(await attempt(at(20_000), retry, 'ok')).toEqual({ applied: true, endpointFailingSince: null })
    expect(await getWebhookMessage(db.pool, first.messageId)).toMatchObject({ status: 'delivered', attempts: 3, deliveredAt: at(20_000), lastError: null })
    expect((await getEndpoint(db.pool, 'risk'))?.failingSince).toBeNull()

    const log = await listDeliveries(db.pool, 'risk')
    expect(log.map((d) => [d.statusCode, d.ok, d.latencyMs, d.error])).toEqual([
      [200, true, 12, null],
      [500, false, 12, 'HTTP 500'],
      [500, false, 12, 'HTTP 500'],
    ])
    expect(await listDeliveries(db.pool, 'risk', { before: log[1]?.id, limit: 5 })).toEqual([log[2]])
    expect(await listDeliveries(db.pool, 'risk', { limit: 1 })).toEqual([log[0]])
  })

  it('logs an attempt whose lease was lost to a redelivery but leaves the message as redelivered', async () => {
    await endpoint('risk', ['risk_high'])
    await enqueueWebhooks(db.pool, { eventType: 'risk_high', payload: {}, messageIdPrefix: 'evt-1', now: T0 })
    const [claimed] = await claimDueMessages(db.pool, { limit: 1, now: T0, leaseMs: LEASE_MS })
    if (!claimed) throw new Error('nothing claimed')
    await redeliver(db.pool, claimed.messageId, { now: at(5) })

    const recorded = await recordAttempt(db.pool, {
      messageId: claimed.messageId,
      endpointId: 'risk',
      leaseUntil: claimed.leaseUntil,
      attemptedAt: at(10),
      statusCode: 503,
      latencyMs: 3,
      error: 'HTTP 503',
      outcome: { status: 'failed', nextAttemptAt: at(60_000) },
    })

    expect(recorded.applied).toBe(false)
    expect(await getWebhookMessage(db.pool, claimed.messageId)).toMatchObject({ status: 'pending', nextAttemptAt: at(5), attempts: 0 })
    expect(await listDeliveries(db.pool, 'risk')).toHaveLength(1)
  })

  it('redelivers a delivered message under the same id with a fresh retry window', async () => {
    await endpoint('risk', ['risk_high'])
    const [enqueued] = await enqueueWebhooks(db.pool, { eventType: 'risk_high', payload: {}, messageIdPrefix: 'evt-1', now: T0 })
    const [claimed] = await claimDueMessages(db.pool, { limit: 1, now: T0, leaseMs: LEASE_MS })
    if (!enqueued || !claimed) throw new Error('nothing enqueued')
    await recordAttempt(db.pool, {
      messageId: claimed.messageId,
      endpointId: 'risk',
      leaseUntil: claimed.leaseUntil,
      attemptedAt: T0,
      statusCode: 204,
      latencyMs: 1,
      error: null,
      outcome: { status: 'delivered' },
    })

    const redelivered = await redeliver(db.pool, enqueued.messageId, { now: at(3_600_000) })
    expect(redelivered).toMatchObject({ messageId: enqueued.messageId, status: 'pending', attempts: 0, deliveredAt: null })
    const [again] = await claimDueMessages(db.pool, { limit: 1, now: at(3_600_000), leaseMs: LEASE_MS })
    expect(again).toMatchObject({ messageId: enqueued.messageId, createdAt: T0, retryWindowStart: at(3_600_000) })
    expect(await redeliver(db.pool, 'msg_unknown')).toBeUndefined()
  })

  it('disables an endpoint once: outstanding messages die and the other subscribers are notified', async () => {
    await endpoint('broken', ['risk_high'])
    await endpoint('ops', ['endpoint_disabled'])
    await endpoint('all', ['*'])
    await endpoint('risk-only', ['risk_high'])
    await enqueueWebhooks(db.pool, { eventType: 'risk_high', payload: {}, messageIdPrefix: 'evt-1', now: T0 })
    const notify = { eventType: 'endpoint_disabled', payload: { endpointId: 'broken' }, messageIdPrefix: 'disabled:broken:1' }

    expect(await disableEndpoint(db.pool, { endpointId: 'broken', reason: 'failing for 3 days', now: at(1), notify })).toBe(true)
    expect(await disableEndpoint(db.pool, { endpointId: 'broken', reason: 'failing for 3 days', now: at(2), notify })).toBe(false)

    expect(await getEndpoint(db.pool, 'broken')).toMatchObject({ enabled: false, disabledReason: 'failing for 3 days' })
    const broken = await getWebhookMessage(db.pool, webhookMessageId('evt-1', 'broken'))
    expect(broken).toMatchObject({ status: 'dead', lastError: 'endpoint disabled: failing for 3 days' })
    const { rows } = await db.pool.query<{ endpoint_id: string; created_at: Date }>(
      `SELECT endpoint_id, created_at FROM webhook_outbox WHERE event_type = 'endpoint_disabled' ORDER BY endpoint_id`,
    )
    expect(rows).toEqual([
      { endpoint_id: 'all', created_at: at(1) },
      { endpoint_id: 'ops', created_at: at(1) },
    ])

    expect(await enableEndpoint(db.pool, 'broken')).toBe(true)
    expect(await getEndpoint(db.pool, 'broken')).toMatchObject({ enabled: true, disabledReason: null, failingSince: null })
  })

  it('keeps the secret out of endpoint listings and deletes an endpoint with its messages and log', async () => {
    const created = await endpoint('risk', ['risk_high', 'usage_drop'])
    expect(created).toEqual({
      id: 'risk',
      url: 'http://127.0.0.1:9/risk',
      eventKinds: ['risk_high', 'usage_drop'],
      description: 'receiver risk',
      enabled: true,
      disabledReason: null,
      failingSince: null,
      createdAt: T0,
      ownerIds: null,
      segments: null,
      minRevenueAtRisk: null,
    })
    expect(await listEndpoints(db.pool)).toEqual([created])
    expect(JSON.stringify(await listEndpoints(db.pool))).not.toContain(SECRET)
    expect(await getEndpointSecret(db.pool, 'risk')).toBe(SECRET)

    await enqueueWebhooks(db.pool, { eventType: 'usage_drop', payload: {}, messageIdPrefix: 'evt-1', now: T0 })
    const [claimed] = await claimDueMessages(db.pool, { limit: 1, now: T0, leaseMs: LEASE_MS })
    if (!claimed) throw new Error('nothing claimed')
    await recordAttempt(db.pool, {
      messageId: claimed.messageId,
      endpointId: 'risk',
      leaseUntil: claimed.leaseUntil,
      attemptedAt: T0,
      statusCode: null,
      latencyMs: 10_000,
      error: 'timeout after 10000 ms',
      outcome: { status: 'failed', nextAttemptAt: at(5_000) },
    })

    expect(await deleteEndpoint(db.pool, 'risk')).toBe(true)
    expect(await deleteEndpoint(db.pool, 'risk')).toBe(false)
    expect(await outbox()).toEqual([])
    expect(await listDeliveries(db.pool, 'risk')).toEqual([])
  })

  it('generates an ep_ id when none is given and refuses ids that could make message ids ambiguous', async () => {
    const generated = await createEndpoint(db.pool, { url: 'https://example.test/hook', secret: SECRET, eventKinds: ['*'] })
    expect(generated.id).toMatch(/^ep_[0-9a-f]{24}$/)
    await expect(endpoint('bad\nid', ['*'])).rejects.toThrow(/webhook_endpoints_id_check/)
    await expect(endpoint('dotted.id', ['*'])).rejects.toThrow(/webhook_endpoints_id_check/)
    await expect(endpoint('no-kinds', [])).rejects.toThrow(/event_kinds_check/)
    await expect(
      createEndpoint(db.pool, { url: 'ftp://example.test', secret: SECRET, eventKinds: ['*'] }),
    ).rejects.toThrow(/url_check/)
  })
})
