import { getWebhookMessage, listDeliveries } from '@churnwatch/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookDispatcher, type ResolveHost, type WebhookDispatcherOptions } from '../src/index.js'
import { createWorld, type World } from './world.js'

const PRIVATE_HINT = 'private networks receive webhooks only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true'

/** Names only this resolver knows: no DNS here answers 169.254.169.254, and none should. */
const resolveHost: ResolveHost = (hostname) => {
  if (hostname === 'metadata.churnwatch.test') return Promise.resolve([{ address: '169.254.169.254', family: 4 }])
  if (hostname === 'receiver.churnwatch.test') return Promise.resolve([{ address: '127.0.0.1', family: 4 }])
  return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }))
}

describe('webhook destinations refused at delivery time', () => {
  let world: World
  beforeEach(async () => {
    world = await createWorld()
  })
  afterEach(() => world.close())

  const dispatcher = (overrides: Partial<WebhookDispatcherOptions>) =>
    createWebhookDispatcher({
      store: world.store,
      log: world.log,
      registry: world.registry,
      now: world.clock.now,
      random: () => 0.5,
      timeoutMs: 10_000,
      ...overrides,
    })
  const deliveries = (endpointId: string) => listDeliveries(world.db.pool, endpointId)

  it('refuses a host name the system resolver maps to loopback, retries it, and delivers once private networks are allowed', async () => {
    const receiver = await world.receiver()
    // localhost resolves through /etc/hosts to 127.0.0.1 (and ::1 where configured): no DNS server involved.
    const endpoint = await world.endpoint(`http://localhost:${receiver.port}/hooks`, ['risk_high'])
    const [messageId = ''] = await world.enqueue('risk_high', 'evt-localhost')
    const t0 = world.clock.now()

    expect(await dispatcher({}).runOnce()).toEqual({ claimed: 1, delivered: 0, failed: 1, dead: 0, endpointsDisabled: 0 })

    expect(receiver.requests).toEqual([])
    const error = `destination refused: localhost resolves to a loopback address; ${PRIVATE_HINT}`
    expect(await deliveries(endpoint.id)).toEqual([expect.objectContaining({ statusCode: null, ok: false, error })])
    // A refusal is a failed attempt like any other: retried with backoff (DNS answers change), and an
    // endpoint refused for the whole window is disabled by the usual rule.
    const failed = await getWebhookMessage(world.db.pool, messageId)
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, lastError: error, nextAttemptAt: new Date(t0.getTime() + 2_500) })
    expect(await world.metric('churnwatch_webhook_deliveries_total', { result: 'refused' })).toBe(1)
    // The operator's log names the address; the delivery log, which API clients read, does not.
    expect(world.logs.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ msg: 'webhook delivery failed', endpointId: endpoint.id, error, refusedAddress: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) }),
    ])

    world.clock.set(failed?.nextAttemptAt ?? t0)
    // The operator turned private networks on and restarted (a second registry would clash on metric names).
    expect(await dispatcher({ allowPrivateNetworks: true, registry: undefined }).runOnce()).toMatchObject({ claimed: 1, delivered: 1 })
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([messageId])
  })

  it('refuses a literal private address without connecting', async () => {
    const receiver = await world.receiver()
    const endpoint = await world.endpoint(receiver, ['risk_high'])
    await world.enqueue('risk_high', 'evt-literal')

    expect(await dispatcher({ allowPrivateNetworks: false }).runOnce()).toMatchObject({ failed: 1 })

    expect(receiver.requests).toEqual([])
    expect((await deliveries(endpoint.id))[0]).toMatchObject({ statusCode: null, error: `destination refused: 127.0.0.1 is a loopback address; ${PRIVATE_HINT}` })
  })

  it('refuses a name that resolves to the cloud metadata address even where private networks are allowed', async () => {
    const endpoint = await world.endpoint('http://metadata.churnwatch.test/latest/meta-data/', ['risk_high'])
    await world.enqueue('risk_high', 'evt-metadata')

    expect(await dispatcher({ allowPrivateNetworks: true, resolveHost }).runOnce()).toMatchObject({ failed: 1 })

    expect((await deliveries(endpoint.id))[0]).toMatchObject({
      statusCode: null,
      error: 'destination refused: metadata.churnwatch.test resolves to a link-local address, which never receives webhooks',
    })
    expect(world.logs.at(-1)).toMatchObject({ msg: 'webhook delivery failed', refusedAddress: '169.254.169.254' })
  })

  it('connects to the address the check saw: a name only the injected resolver knows reaches its receiver', async () => {
    const receiver = await world.receiver()
    const endpoint = await world.endpoint(`http://receiver.churnwatch.test:${receiver.port}/hooks`, ['risk_high'])
    const [messageId] = await world.enqueue('risk_high', 'evt-pinned')

    expect(await dispatcher({ allowPrivateNetworks: true, resolveHost }).runOnce()).toMatchObject({ delivered: 1 })

    expect(receiver.requests.map((r) => [r.headers['webhook-id'], r.headers.host])).toEqual([[messageId, `receiver.churnwatch.test:${receiver.port}`]])
    expect((await deliveries(endpoint.id))[0]).toMatchObject({ statusCode: 204, ok: true })
  })
})
