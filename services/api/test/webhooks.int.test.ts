import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLogger } from '@churnwatch/observability'
import { createWebhookStore } from '@churnwatch/storage'
import { createWebhookDispatcher, verifyWebhook } from '@churnwatch/webhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { body, buildTestApi, type TestApi } from './harness.js'

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

describe('webhook endpoints', () => {
  let api: TestApi
  let receiver: Server
  let receiverUrl: string
  let answer = 200
  const received: Received[] = []

  beforeAll(async () => {
    api = await buildTestApi('webhooks')
    receiver = createServer((req, res) => {
      let text = ''
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
      req.on('end', () => {
        received.push({ headers: req.headers, body: text })
        res.writeHead(answer).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
  })
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve))
    await api.close()
  })

  const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    api.call('admin', { method, url, ...(payload ? { payload } : {}) })
  const dispatcher = () => createWebhookDispatcher({ store: createWebhookStore(api.db.pool), log: createLogger({ service: 'test', level: 'silent' }), allowPrivateNetworks: true })

  it('creates an endpoint with a server-generated secret shown once, then lists and gets it without the secret', async () => {
    const created = await admin('POST', '/v1/webhooks', { url: receiverUrl, eventKinds: ['risk_high', 'risk_high', 'payment_failed'], description: 'CS tool' })
    expect(created.statusCode).toBe(201)
    const endpoint = body<{ id: string; secret: string; eventKinds: string[]; enabled: boolean }>(created)
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(endpoint).toMatchObject({ url: receiverUrl, eventKinds: ['risk_high', 'payment_failed'], enabled: true, description: 'CS tool' })
    const listed = await admin('GET', '/v1/webhooks')
    expect(body<{ data: Array<{ id: string }> }>(listed).data.map((e) => e.id)).toEqual([endpoint.id])
    expect(listed.body).not.toContain(endpoint.secret)
    const one = await admin('GET', `/v1/webhooks/${endpoint.id}`)
    expect(one.statusCode).toBe(200)
    expect(one.body).not.toContain('whsec_')
    // The secret never reaches the logs either.
    expect(JSON.stringify(api.logs)).not.toContain(endpoint.secret)
  })

  it.each([
    [{ url: 'ftp://example.com/hook', eventKinds: ['*'] }, 'body.url', 'must be an absolute http:// or https:// URL'],
    [{ url: 'not a url', eventKinds: ['*'] }, 'body.url', 'must be an absolute http:// or https:// URL'],
    [{ url: 'https://user:pw@example.com/hook', eventKinds: ['*'] }, 'body.url', 'must not carry credentials (user:password@)'],
    [{ url: 'https://example.com/hook', eventKinds: [] }, 'body.eventKinds', 'must name at least one event kind (or "*")'],
    [
      { url: 'https://example.com/hook', eventKinds: ['everything'] },
      'body.eventKinds.0',
      'must be one of: risk_high, payment_failed, cancel_requested, usage_drop, renewal_at_risk, churn_rate_spike, risk_changed, endpoint_disabled, *',
    ],
  ])('rejects a bad endpoint (%#)', async (payload, path, message) => {
    const response = await admin('POST', '/v1/webhooks', payload)
    expect(response.statusCode).toBe(400)
    expect(body(response).errors).toEqual([{ path, message }])
  })

  it('sends a signed test event through the outbox, logs the delivery and redelivers it on request', async () => {
    const created = body<{ id: string; secret: string }>(await admin('POST', '/v1/webhooks', { url: receiverUrl, eventKinds: ['usage_drop'] }))
    const test = await admin('POST', `/v1/webhooks/${created.id}/test`)
    expect(test.statusCode).toBe(202)
    const message = body<{ messageId: string; status: string }>(test)
    expect(message).toMatchObject({ eventType: 'test', status: 'pending', endpointId: created.id })

    received.length = 0
    expect((await dispatcher().runOnce()).delivered).toBe(1)
    expect(received).toHaveLength(1)
    const [delivery] = received
    const verified = verifyWebhook(delivery?.headers ?? {}, delivery?.body ?? '', created.secret, { now: new Date() })
    expect(verified).toMatchObject({ ok: true, id: message.messageId })
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ type: 'test', data: { endpointId: created.id, message: 'Test event from churnwatch' } })

    const log = body<{ data: Array<{ id: number; messageId: string; ok: boolean; statusCode: number }>; nextBefore: number | null }>(
      await admin('GET', `/v1/webhooks/${created.id}/deliveries`),
    )
    expect(log.data).toMatchObject([{ messageId: message.messageId, ok: true, statusCode: 200 }])

    // Redeliver by message id, then by delivery-log id: same webhook-id each time.
    const byMessage = await admin('POST', `/v1/webhooks/deliveries/${message.messageId}/redeliver`)
    expect(byMessage.statusCode).toBe(202)
    expect(body(byMessage)).toMatchObject({ messageId: message.messageId, status: 'pending', attempts: 0 })
    answer = 500
    await dispatcher().runOnce()
    const byDelivery = await admin('POST', `/v1/webhooks/deliveries/${log.data[0]?.id}/redeliver`)
    expect(body(byDelivery)).toMatchObject({ messageId: message.messageId, status: 'pending' })
    answer = 200
    await dispatcher().runOnce()
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([message.messageId, message.messageId, message.messageId])
    const after = body<{ data: Array<{ ok: boolean; statusCode: number }> }>(await admin('GET', `/v1/webhooks/${created.id}/deliveries?limit=2`))
    expect(after.data.map((d) => [d.ok, d.statusCode])).toEqual([
      [true, 200],
      [false, 500],
    ])
  })

  it('answers 404 for unknown endpoints and messages, and deletes an endpoint', async () => {
    expect((await admin('POST', '/v1/webhooks/nope/test')).statusCode).toBe(404)
    expect((await admin('GET', '/v1/webhooks/nope/deliveries')).statusCode).toBe(404)
    expect((await admin('POST', '/v1/webhooks/deliveries/msg_unknown/redeliver')).statusCode).toBe(404)
    expect((await admin('POST', '/v1/webhooks/deliveries/999999/redeliver')).statusCode).toBe(404)
    const created = body<{ id: string }>(await admin('POST', '/v1/webhooks', { url: receiverUrl, eventKinds: ['*'] }))
    const deleted = await admin('DELETE', `/v1/webhooks/${created.id}`)
    expect(deleted.statusCode).toBe(204)
    expect(deleted.body).toBe('')
    expect((await admin('GET', `/v1/webhooks/${created.id}`)).statusCode).toBe(404)
    expect((await admin('DELETE', `/v1/webhooks/${created.id}`)).statusCode).toBe(404)
    const badPage = await admin('GET', '/v1/webhooks/x/deliveries?limit=0')
    expect(body(badPage).errors).toEqual([{ path: 'query.limit', message: 'limit must be an integer from 1 to 500' }])
  })

  it('refuses to test a disabled endpoint', async () => {
    const created = body<{ id: string }>(await admin('POST', '/v1/webhooks', { url: receiverUrl, eventKinds: ['*'] }))
    await api.db.pool.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing for 3 days' WHERE id = $1`, [created.id])
    const response = await admin('POST', `/v1/webhooks/${created.id}/test`)
    expect(response.statusCode).toBe(409)
    expect(body(response).detail).toContain('failing for 3 days')
  })
})

describe('webhook destinations at registration', () => {
  const PRIVATE_HINT = 'private networks receive webhooks only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true'
  let strict: TestApi
  let lenient: TestApi

  beforeAll(async () => {
    ;[strict, lenient] = await Promise.all([
      buildTestApi('webhooks_strict', { allowPrivateWebhookNetworks: false }),
      buildTestApi('webhooks_lenient', { allowPrivateWebhookNetworks: true }),
    ])
  })
  afterAll(async () => {
    await Promise.all([strict.close(), lenient.close()])
  })

  const register = (api: TestApi, url: string) => api.call('admin', { method: 'POST', url: '/v1/webhooks', payload: { url, eventKinds: ['*'] } })
  const stored = async (api: TestApi) => body<{ data: unknown[] }>(await api.call('admin', { method: 'GET', url: '/v1/webhooks' })).data

  it.each([
    // localhost goes through the system resolver (/etc/hosts): a name that resolves to a refused address.
    ['http://localhost:8080/hooks', `localhost resolves to a loopback address; ${PRIVATE_HINT}`],
    ['http://127.0.0.1:8080/hooks', `127.0.0.1 is a loopback address; ${PRIVATE_HINT}`],
    ['http://[::1]:8080/hooks', `::1 is a loopback address; ${PRIVATE_HINT}`],
    ['https://[::ffff:10.0.0.1]/hooks', `::ffff:a00:1 is a private-network address; ${PRIVATE_HINT}`],
    ['https://192.168.1.20/hooks', `192.168.1.20 is a private-network address; ${PRIVATE_HINT}`],
  ])('refuses %s with a 400 naming the url field, and stores nothing', async (url, message) => {
    const response = await register(strict, url)
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(body(response)).toMatchObject({ status: 400, code: 'CW_API_VALIDATION', detail: `body.url: ${message}`, errors: [{ path: 'body.url', message }] })
    expect(await stored(strict)).toEqual([])
    expect(strict.logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'webhook destination refused', refusedAddress: expect.any(String) }))
  })

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address, which never receives webhooks'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254 is a cloud metadata address, which never receives webhooks'],
    ['http://[fe80::1]/hooks', 'fe80::1 is a link-local address, which never receives webhooks'],
    ['http://0.0.0.0:8080/hooks', '0.0.0.0 is an unspecified address, which never receives webhooks'],
  ])('refuses %s even where private networks are allowed', async (url, message) => {
    const response = await register(lenient, url)
    expect(response.statusCode).toBe(400)
    expect(body(response).errors).toEqual([{ path: 'body.url', message }])
    expect(await stored(lenient)).toEqual([])
  })

  it('accepts a public address, and loopback where private networks are allowed', async () => {
    expect((await register(strict, 'https://93.184.215.14/hooks')).statusCode).toBe(201)
    expect((await register(lenient, 'http://localhost:8080/hooks')).statusCode).toBe(201)
  })
})

