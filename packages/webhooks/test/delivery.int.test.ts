import type { AlertEvent } from '@churnwatch/contract'
import { getEndpoint, getWebhookMessage, listDeliveries, redeliver } from '@churnwatch/storage'
import { waitFor } from '@churnwatch/testkit'
import type { IncomingHttpHeaders } from 'node:http'
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookDispatcher, verifyWebhook, type WebhookDispatcherOptions } from '../src/index.js'
import { startReceiver, type ReceivedRequest } from './receiver.js'
import { createWorld, type World } from './world.js'

const ALERT: AlertEvent = {
  eventId: 'alert-evt-1',
  alertId: 'acme:risk_high',
  customerId: 'acme',
  kind: 'risk_high',
  status: 'open',
  probability: 0.82,
  revenueAtRisk: 49_00,
  currency: 'USD',
  drivers: [{ feature: 'days_since_last_login', value: 21, contribution: 0.4, sentence: 'No logins in the last 21 days' }],
  play: 'Call the account owner',
  change: 'opened',
  createdAt: '2026-03-01T11:59:00Z',
  updatedAt: '2026-03-01T11:59:00Z',
}

function standardHeaders(request: ReceivedRequest): Record<string, string> {
  const pick = (h: IncomingHttpHeaders, name: string) => String(h[name] ?? '')
  return {
    'webhook-id': pick(request.headers, 'webhook-id'),
    'webhook-timestamp': pick(request.headers, 'webhook-timestamp'),
    'webhook-signature': pick(request.headers, 'webhook-signature'),
  }
}

describe('webhook delivery to a real HTTP receiver', () => {
  let world: World
  beforeEach(async () => {
    world = await createWorld()
  })
  afterEach(() => world.close())

  const dispatcher = (overrides: Partial<WebhookDispatcherOptions> = {}) =>
    createWebhookDispatcher({
      store: world.store,
      log: world.log,
      registry: world.registry,
      // The receivers listen on 127.0.0.1; destinations.int.test.ts covers the refusals.
      allowPrivateNetworks: true,
      now: world.clock.now,
      random: () => 0.5,
      // Generous: a local receiver answers in milliseconds, but CI shares two cores among three suites.
      timeoutMs: 10_000,
      batchSize: 10,
      pollIntervalMs: 20,
      ...overrides,
    })

  const deliveries = (endpointId: string) => listDeliveries(world.db.pool, endpointId)
  const warnings = () => world.logs.filter((l) => l.level === 'warn')

  it('POSTs a signed JSON envelope that the reference standardwebhooks library verifies', async () => {
    const receiver = await world.receiver()
    const endpoint = await world.endpoint(receiver, ['risk_high'])
    const [messageId] = await world.enqueue('risk_high', ALERT.eventId, ALERT, new Date())
    // The real clock here: the reference library checks the timestamp against Date.now().
    const worker = dispatcher({ now: () => new Date() })

    await worker.start()
    const message = await waitFor(async () => {
      const m = await getWebhookMessage(world.db.pool, messageId ?? '')
      return m?.status === 'delivered' ? m : undefined
    })
    await worker.stop()

    expect(receiver.requests).toHaveLength(1)
    const [request] = receiver.requests
    if (!request) throw new Error('no request')
    expect(request.method).toBe('POST')
    expect(request.path).toBe('/hooks')
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.headers['user-agent']).toBe('churnwatch-webhooks/1')
    expect(request.headers['webhook-id']).toBe(messageId)
    const verified = new Webhook(endpoint.secret).verify(request.body, standardHeaders(request))
    expect(verified).toEqual({ type: 'risk_high', timestamp: message.createdAt.toISOString(), data: ALERT })
    expect(verifyWebhook(request.headers, request.body, endpoint.secret, { now: new Date() }).ok).toBe(true)

    const [logged] = await deliveries(endpoint.id)
    expect(logged).toMatchObject({ messageId, statusCode: 204, ok: true, error: null })
    expect(logged?.latencyMs).toBeGreaterThanOrEqual(0)
    expect(await world.metric('churnwatch_webhook_deliveries_total', { result: 'delivered' })).toBe(1)
    expect(await world.metric('churnwatch_webhook_delivery_seconds', { result: 'delivered' })).toBe(1)
    expect(JSON.stringify(world.logs)).not.toContain(endpoint.secret)
  })

  it('retries after a 500 with the same webhook-id, succeeds later, and warns once with endpoint and status', async () => {
    const receiver = await world.receiver((_req, i) => (i === 0 ? { status: 500, body: 'database\n  is down' } : { status: 200 }))
    const endpoint = await world.endpoint(receiver, ['risk_high'])
    const [messageId = ''] = await world.enqueue('risk_high', 'evt-500')
    const worker = dispatcher()
    const t0 = world.clock.now()

    expect(await worker.runOnce()).toEqual({ claimed: 1, delivered: 0, failed: 1, dead: 0, endpointsDisabled: 0 })
    const failed = await getWebhookMessage(world.db.pool, messageId)
    // Full jitter with random 0.5 over the first window of 5 s.
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: new Date(t0.getTime() + 2_500), lastError: 'HTTP 500: database is down' })
    expect(await worker.runOnce()).toMatchObject({ claimed: 0 })

    world.clock.set(failed?.nextAttemptAt ?? t0)
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, delivered: 1 })

    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([messageId, messageId])
    expect(receiver.requests.map((r) => Number(r.headers['webhook-timestamp']) - t0.getTime() / 1000)).toEqual([0, 2])
    for (const request of receiver.requests) {
      const now = new Date(Number(request.headers['webhook-timestamp']) * 1000)
      expect(verifyWebhook(request.headers, request.body, endpoint.secret, { now }).ok).toBe(true)
    }
    expect(await getWebhookMessage(world.db.pool, messageId)).toMatchObject({ status: 'delivered', attempts: 2 })
    expect((await deliveries(endpoint.id)).map((d) => [d.statusCode, d.ok, d.error])).toEqual([
      [200, true, null],
      [500, false, 'HTTP 500: database is down'],
    ])
    expect(warnings()).toEqual([
      expect.objectContaining({
        msg: 'webhook delivery failed',
        component: 'webhook-dispatcher',
        endpointId: endpoint.id,
        messageId,
        statusCode: 500,
        attempt: 1,
        dead: false,
      }),
    ])
    expect(await world.metric('churnwatch_webhook_deliveries_total', { result: 'http_error' })).toBe(1)
  })

  it('retries after a receiver that never answers times out, with the same webhook-id', async () => {
    const receiver = await world.receiver((_req, i) => (i === 0 ? 'hang' : { status: 202 }))
    const endpoint = await world.endpoint(receiver, ['usage_drop'])
    const [messageId = ''] = await world.enqueue('usage_drop', 'evt-timeout')
    const worker = dispatcher({ timeoutMs: 300 })

    expect(await worker.runOnce()).toMatchObject({ claimed: 1, failed: 1 })
    const [timedOut] = await deliveries(endpoint.id)
    expect(timedOut).toMatchObject({ statusCode: null, ok: false, error: 'timeout after 300 ms' })
    expect(timedOut?.latencyMs).toBeGreaterThan(0)
    expect(await world.metric('churnwatch_webhook_deliveries_total', { result: 'timeout' })).toBe(1)

    world.clock.set((await getWebhookMessage(world.db.pool, messageId))?.nextAttemptAt ?? new Date(0))
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, delivered: 1 })
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([messageId, messageId])
    expect((await deliveries(endpoint.id))[0]).toMatchObject({ statusCode: 202, ok: true })
  })

  it('resumes delivery when a receiver that refused connections comes back on its port', async () => {
    const probe = await startReceiver()
    const port = probe.port
    await probe.close()
    const endpoint = await world.endpoint(`http://127.0.0.1:${port}/hooks`, ['*'])
    const [messageId = ''] = await world.enqueue('payment_failed', 'evt-down')
    const worker = dispatcher()

    expect(await worker.runOnce()).toMatchObject({ failed: 1 })
    expect((await deliveries(endpoint.id))[0]).toMatchObject({ statusCode: null, ok: false, error: 'network error: ECONNREFUSED' })
    expect(await world.metric('churnwatch_webhook_deliveries_total', { result: 'network_error' })).toBe(1)

    const receiver = await world.receiver(undefined, port)
    world.clock.set((await getWebhookMessage(world.db.pool, messageId))?.nextAttemptAt ?? new Date(0))
    expect(await worker.runOnce()).toMatchObject({ delivered: 1 })
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([messageId])
    expect((await getEndpoint(world.db.pool, endpoint.id))?.failingSince).toBeNull()
  })

  it('redelivers a delivered message on request under the same webhook-id; deduplicating is the receiver\'s job', async () => {
    const receiver = await world.receiver()
    const endpoint = await world.endpoint(receiver, ['cancel_requested'])
    const [messageId = ''] = await world.enqueue('cancel_requested', 'evt-redeliver')
    const worker = dispatcher()
    expect(await worker.runOnce()).toMatchObject({ delivered: 1 })

    world.clock.advance(60 * 60 * 1000)
    expect(await redeliver(world.db.pool, messageId, { now: world.clock.now() })).toMatchObject({ status: 'pending' })
    expect(await worker.runOnce()).toMatchObject({ delivered: 1 })

    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([messageId, messageId])
    expect(receiver.requests[0]?.body).toBe(receiver.requests[1]?.body)
    expect(await deliveries(endpoint.id)).toHaveLength(2)
    expect(await getWebhookMessage(world.db.pool, messageId)).toMatchObject({ status: 'delivered', attempts: 1 })
  })

  it('delivers an event enqueued twice under the same stable id once', async () => {
    const receiver = await world.receiver()
    await world.endpoint(receiver, ['risk_high'])
    const first = await world.enqueue('risk_high', 'evt-dup')
    expect(await world.enqueue('risk_high', 'evt-dup')).toEqual([])
    const other = await world.enqueue('risk_high', 'evt-other')
    const worker = dispatcher()

    expect(await worker.runOnce()).toMatchObject({ claimed: 2, delivered: 2 })
    world.clock.advance(24 * 60 * 60 * 1000)
    expect(await worker.runOnce()).toMatchObject({ claimed: 0 })
    expect(receiver.requests.map((r) => r.headers['webhook-id']).sort()).toEqual([...first, ...other].sort())
  })

  it('treats a redirect as a failure and never follows it with the signed body', async () => {
    const elsewhere = await world.receiver()
    const receiver = await world.receiver(() => ({ status: 307, headers: { location: elsewhere.url } }))
    const endpoint = await world.endpoint(receiver, ['risk_high'])
    await world.enqueue('risk_high', 'evt-redirect')

    expect(await dispatcher().runOnce()).toMatchObject({ failed: 1 })
    expect(elsewhere.requests).toEqual([])
    expect((await deliveries(endpoint.id))[0]).toMatchObject({ statusCode: 307, ok: false, error: 'HTTP 307' })
  })

  it('keeps polling after the database refuses a claim, and delivers once it answers', async () => {
    const receiver = await world.receiver()
    await world.endpoint(receiver, ['risk_high'])
    const [messageId] = await world.enqueue('risk_high', 'evt-db-blip')
    let failures = 0
    const flakyStore = {
      ...world.store,
      claimDueMessages: async (options: Parameters<typeof world.store.claimDueMessages>[0]) => {
        if (failures++ === 0) throw new Error('connection terminated unexpectedly')
        return world.store.claimDueMessages(options)
      },
    }
    const worker = dispatcher({ store: flakyStore })

    await worker.start()
    await waitFor(() => receiver.requests.length === 1)
    await worker.stop()

    expect(receiver.requests[0]?.headers['webhook-id']).toBe(messageId)
    expect(world.logs.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ msg: 'webhook dispatch failed', err: expect.objectContaining({ message: 'connection terminated unexpectedly' }) }),
    ])
  })

  it('lets two running dispatchers share the outbox without sending any message twice', async () => {
    const receiver = await world.receiver()
    await world.endpoint(receiver, ['*'])
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push(...(await world.enqueue('risk_high', `evt-${i}`)))
    // One registry per process: the second worker keeps its metrics to itself.
    const workers = [dispatcher({ batchSize: 4 }), dispatcher({ batchSize: 4, registry: undefined })]

    await Promise.all(workers.map((w) => w.start()))
    await waitFor(async () => {
      const { rows } = await world.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_outbox WHERE status = 'delivered'`)
      return rows[0]?.n === 30
    })
    await Promise.all(workers.map((w) => w.stop()))

    const received = receiver.requests.map((r) => String(r.headers['webhook-id']))
    expect(received).toHaveLength(30)
    expect(new Set(received)).toEqual(new Set(ids))
  })
})
