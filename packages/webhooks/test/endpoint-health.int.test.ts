import { getEndpoint, getWebhookMessage, listDeliveries } from '@churnwatch/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createWebhookDispatcher,
  verifyWebhook,
  type EndpointDisabled,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from '../src/index.js'
import { createWorld, type World } from './world.js'

const HOUR_MS = 60 * 60 * 1000
const DAY_MS = 24 * HOUR_MS

describe('endpoint health over days of failures (time driven by an injected clock)', () => {
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
      // The longest wait in every jitter window: the fewest attempts over three days.
      random: () => 1,
      // Generous: a local receiver answers in milliseconds, but CI shares two cores among three suites.
      timeoutMs: 10_000,
      ...overrides,
    })

  /** Runs the dispatcher at each due time of `messageId` until `done` holds (bounded). */
  async function driveRetries(worker: WebhookDispatcher, messageId: string, done: () => Promise<boolean>): Promise<number> {
    for (let runs = 1; runs <= 500; runs++) {
      await worker.runOnce()
      if (await done()) return runs
      const message = await getWebhookMessage(world.db.pool, messageId)
      if (!message || message.status === 'delivered' || message.status === 'dead') throw new Error(`message ended as ${message?.status}`)
      world.clock.set(message.nextAttemptAt)
    }
    throw new Error('condition not reached in 500 runs')
  }

  it('retries a failing message with growing gaps until it is 3 days old, then gives it up as dead', async () => {
    const receiver = await world.receiver(() => ({ status: 503 }))
    const endpoint = await world.endpoint(receiver, ['risk_high'])
    const t0 = world.clock.now()
    const [messageId = ''] = await world.enqueue('risk_high', 'evt-dead')
    // Disabling would also end the retries; keep it out of the way to watch the message alone.
    const worker = dispatcher({ disableAfterMs: 30 * DAY_MS })

    await driveRetries(worker, messageId, async () => (await getWebhookMessage(world.db.pool, messageId))?.status === 'dead')

    const attempts = (await listDeliveries(world.db.pool, endpoint.id, { limit: 500 })).reverse()
    const offsetsMs = attempts.map((a) => a.attemptedAt.getTime() - t0.getTime())
    expect(offsetsMs.slice(0, 5)).toEqual([0, 5_000, 15_000, 35_000, 75_000])
    const gaps = offsetsMs.slice(1).map((ms, i) => ms - (offsetsMs[i] ?? 0))
    expect(Math.max(...gaps)).toBe(HOUR_MS)
    // The last attempt happens when the 3-day window closes, not up to an hour later.
    expect(offsetsMs.at(-1)).toBe(3 * DAY_MS)
    expect(receiver.requests).toHaveLength(attempts.length)
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([messageId]))
    expect(await getWebhookMessage(world.db.pool, messageId)).toMatchObject({ status: 'dead', attempts: attempts.length, lastError: 'HTTP 503' })
    expect(await world.metric('churnwatch_webhook_messages_dead_total')).toBe(1)
    expect(world.logs.at(-1)).toMatchObject({ level: 'warn', msg: 'webhook delivery failed', dead: true, nextAttemptAt: null })

    world.clock.advance(DAY_MS)
    expect(await worker.runOnce()).toMatchObject({ claimed: 0 })
    expect(await getEndpoint(world.db.pool, endpoint.id)).toMatchObject({ enabled: true, failingSince: t0 })
  })

  it('disables an endpoint failing for 3 days and tells the other subscribed endpoints with endpoint_disabled', async () => {
    const broken = await world.endpoint(await world.receiver(() => ({ status: 503 })), ['risk_high'], 'broken')
    const opsReceiver = await world.receiver()
    const ops = await world.endpoint(opsReceiver, ['endpoint_disabled'], 'ops')
    const allReceiver = await world.receiver()
    await world.endpoint(allReceiver, ['*'], 'all')
    const riskOnlyReceiver = await world.receiver()
    await world.endpoint(riskOnlyReceiver, ['risk_high'], 'risk-only')
    const disabledEvents: EndpointDisabled[] = []
    const worker = dispatcher({ onEndpointDisabled: (event) => void disabledEvents.push(event) })
    const t0 = world.clock.now()

    await world.enqueue('risk_high', 'evt-1')
    const brokenFirst = await brokenMessage(world, 'evt-1')
    world.clock.advance(2 * DAY_MS)
    await world.enqueue('risk_high', 'evt-2')
    world.clock.set(t0)

    await driveRetries(worker, brokenFirst, async () => (await getEndpoint(world.db.pool, 'broken'))?.enabled === false)

    const disabledAt = new Date(t0.getTime() + 3 * DAY_MS)
    const reason = `deliveries failing continuously since ${t0.toISOString()}`
    expect(await getEndpoint(world.db.pool, 'broken')).toMatchObject({ enabled: false, disabledReason: reason, failingSince: t0 })
    expect(disabledEvents).toEqual([{ endpointId: 'broken', description: '', reason, failingSince: t0, disabledAt }])
    expect(await getWebhookMessage(world.db.pool, brokenFirst)).toMatchObject({ status: 'dead' })
    expect(await getWebhookMessage(world.db.pool, await brokenMessage(world, 'evt-2'))).toMatchObject({
      status: 'dead',
      lastError: `endpoint disabled: ${reason}`,
    })

    // The notification goes out through the outbox like any other message.
    expect(await worker.runOnce()).toMatchObject({ claimed: 2, delivered: 2 })
    const [notice] = opsReceiver.requests
    if (!notice) throw new Error('ops endpoint got nothing')
    expect(JSON.parse(notice.body)).toEqual({
      type: 'endpoint_disabled',
      timestamp: disabledAt.toISOString(),
      data: { endpointId: 'broken', description: '', reason, failingSince: t0.toISOString(), disabledAt: disabledAt.toISOString() },
    })
    expect(verifyWebhook(notice.headers, notice.body, ops.secret, { now: world.clock.now() }).ok).toBe(true)
    expect(allReceiver.requests.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['risk_high', 'risk_high', 'endpoint_disabled'])
    expect(riskOnlyReceiver.requests.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['risk_high', 'risk_high'])

    expect(world.logs.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ msg: 'webhook endpoint disabled', endpointId: 'broken', reason }),
    ])
    expect(await world.metric('churnwatch_webhook_endpoints_disabled_total')).toBe(1)
    expect(JSON.stringify(world.logs)).not.toContain(broken.secret)

    world.clock.advance(DAY_MS)
    await world.enqueue('risk_high', 'evt-3')
    expect(await worker.runOnce()).toMatchObject({ claimed: 2, delivered: 2 })
    expect((await listDeliveries(world.db.pool, 'broken', { limit: 1 }))[0]?.attemptedAt).toEqual(disabledAt)
  })

  it('does not disable an endpoint whose failures are broken up by a success', async () => {
    let up = false
    const receiver = await world.receiver(() => (up ? { status: 200 } : { status: 500 }))
    const endpoint = await world.endpoint(receiver, ['usage_drop'])
    const worker = dispatcher()
    const t0 = world.clock.now()

    const [firstId = ''] = await world.enqueue('usage_drop', 'evt-1')
    await driveRetries(worker, firstId, async () => world.clock.now().getTime() - t0.getTime() >= 2 * DAY_MS)
    up = true
    world.clock.set((await getWebhookMessage(world.db.pool, firstId))?.nextAttemptAt ?? t0)
    expect(await worker.runOnce()).toMatchObject({ delivered: 1 })
    expect((await getEndpoint(world.db.pool, endpoint.id))?.failingSince).toBeNull()

    up = false
    const restart = world.clock.now()
    const [secondId = ''] = await world.enqueue('usage_drop', 'evt-2')
    await driveRetries(worker, secondId, async () => world.clock.now().getTime() - restart.getTime() >= 2 * DAY_MS)

    expect(await getEndpoint(world.db.pool, endpoint.id)).toMatchObject({ enabled: true, failingSince: restart })
    expect(world.clock.now().getTime() - t0.getTime()).toBeGreaterThan(3 * DAY_MS)
  })
})

async function brokenMessage(world: World, eventId: string): Promise<string> {
  const { rows } = await world.db.pool.query<{ message_id: string }>(
    `SELECT message_id FROM webhook_outbox WHERE endpoint_id = 'broken' AND payload->>'alertId' = $1`,
    [eventId],
  )
  const id = rows[0]?.message_id
  if (!id) throw new Error(`no message for ${eventId}`)
  return id
}
