import { fetchEndOffsets } from '@churnwatch/kafka'
import { createApiKey, revokeApiKey } from '@churnwatch/storage'
import { buildUsageEvent } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { body, buildTestApi, saveScoreRows, scoreRow, type TestApi } from './harness.js'

type Method = 'GET' | 'POST' | 'DELETE'
type Scope = 'read' | 'events:write' | 'alerts:write' | 'admin'

// Every operation in the OpenAPI document, with the scope it needs (a test below checks the list is complete).
const ROUTES: Array<[Method, string, Scope, unknown?]> = [
  ['GET', '/v1/customers/acme/risk', 'read'],
  ['GET', '/v1/customers/acme/risk/history', 'read'],
  ['GET', '/v1/customers', 'read'],
  ['POST', '/v1/scores/batch-get', 'read', { customerIds: ['acme'] }],
  ['GET', '/v1/alerts', 'read'],
  ['POST', '/v1/alerts/al-x/ack', 'alerts:write'],
  ['POST', '/v1/alerts/al-x/resolve', 'alerts:write'],
  ['POST', '/v1/alerts/al-x/snooze', 'alerts:write', { until: '2030-01-01T00:00:00Z' }],
  ['GET', '/v1/metrics/churn', 'read'],
  ['GET', '/v1/metrics/retention', 'read'],
  ['GET', '/v1/models', 'read'],
  ['GET', '/v1/models/v1', 'read'],
  ['POST', '/v1/models/v1/activate', 'admin'],
  ['POST', '/v1/webhooks', 'admin', { url: 'http://127.0.0.1:9/x', eventKinds: ['*'] }],
  ['GET', '/v1/webhooks', 'admin'],
  ['GET', '/v1/webhooks/ep-x', 'admin'],
  ['DELETE', '/v1/webhooks/ep-x', 'admin'],
  ['GET', '/v1/webhooks/ep-x/deliveries', 'admin'],
  ['POST', '/v1/webhooks/ep-x/test', 'admin'],
  ['POST', '/v1/webhooks/deliveries/msg_x/redeliver', 'admin'],
  ['POST', '/v1/events', 'events:write', { not: 'an event' }],
  ['POST', '/v1/events/batch', 'events:write', { events: [{ not: 'an event' }] }],
]

// A key with another scope: read routes are refused to an intake key, the rest to a read key.
const WRONG_SCOPE: Record<Scope, Scope> = { read: 'events:write', 'events:write': 'read', 'alerts:write': 'read', admin: 'alerts:write' }

describe('platform: auth, errors, limits, docs, health and metrics', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('platform', { rateLimitPerMinute: 10_000, bodyLimitBytes: 4_096 })
    await saveScoreRows(api, [scoreRow('acme', 0.4, 2000)])
  })
  afterAll(() => api.close())

  const inject = (method: Method, url: string, payload: unknown, headers: Record<string, string>) =>
    api.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) })

  describe.each(ROUTES)('%s %s', (method, url, scope, payload) => {
    it('answers 401 without a key or with a bad one', async () => {
      const none = await inject(method, url, payload, {})
      expect(none.statusCode).toBe(401)
      expect(none.headers['www-authenticate']).toBe('Bearer realm="churnwatch"')
      expect(body(none)).toMatchObject({ code: 'CW_API_UNAUTHORIZED', title: 'Unauthorized' })
      const forged = await inject(method, url, payload, { authorization: `Bearer cw_0123456789ab_${'A'.repeat(43)}` })
      expect(forged.statusCode).toBe(401)
    })

    it(`answers 403 with a key lacking "${scope}" and passes with it (or admin)`, async () => {
      const wrong = await inject(method, url, payload, { authorization: `Bearer ${api.keys[WRONG_SCOPE[scope]]}` })
      expect(wrong.statusCode).toBe(403)
      expect(body(wrong)).toMatchObject({ code: 'CW_API_FORBIDDEN', detail: expect.stringContaining(`needs the "${scope}" scope`) })
      for (const key of [api.keys[scope], api.keys.admin]) {
        const allowed = await inject(method, url, payload, { 'x-api-key': key })
        expect([401, 403]).not.toContain(allowed.statusCode)
      }
    })
  })

  it('covers every documented operation in the auth matrix, and documents security on each', async () => {
    const doc = body<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>(await api.call(null, { method: 'GET', url: '/openapi.json' }))
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, secured: op.security !== undefined })),
    )
    const fromMatrix = new Set(ROUTES.map(([method, url]) => `${method} ${url}`))
    const publicOps = documented.filter((d) => !d.secured).map((d) => d.key)
    // The console's sign-in routes are public: they take a key or a session cookie themselves (session.int.test.ts).
    expect(publicOps.sort()).toEqual(['DELETE /v1/session', 'GET /healthz', 'GET /readyz', 'GET /v1/session', 'POST /v1/session'])
    const secured = documented.filter((d) => d.secured)
    expect(secured).toHaveLength(ROUTES.length)
    // Paths are templated in the document; the matrix uses sample ids.
    const templated = (key: string) => key.replace(/\{[^}]+\}/g, '*')
    const samples = [...fromMatrix].map((k) => k.replace(/(acme|al-x|v1(?=\/activate|$)|ep-x|msg_x)/g, '*'))
    expect(new Set(secured.map((d) => templated(d.key)))).toEqual(new Set(samples))
  })

  it('serves OpenAPI 3.1 with zod-generated schemas and the docs UI, both public', async () => {
    const response = await api.call(null, { method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    const doc = body<{ openapi: string; paths: Record<string, Record<string, Record<string, unknown>>>; components: Record<string, unknown> }>(response)
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.components.securitySchemes as object)).toEqual(['bearerAuth', 'apiKeyHeader'])
    const risk = doc.paths['/v1/customers/{id}/risk']?.get as { responses: Record<string, { content: Record<string, { schema: { properties?: object } }> }> }
    expect(Object.keys(risk.responses['200']?.content['application/json']?.schema.properties ?? {})).toContain('keyFeatures')
    expect(Object.keys(doc.paths['/v1/customers']?.get?.responses as object)).toContain('200')
    const docs = await api.call(null, { method: 'GET', url: '/docs' })
    expect(docs.statusCode).toBe(200)
    expect(docs.headers['content-type']).toContain('text/html')
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests')
  })

  it('stops accepting a revoked key', async () => {
    const revoked = await createApiKey(api.db.pool, { scopes: ['read'] })
    await revokeApiKey(api.db.pool, revoked.id)
    const response = await inject('GET', '/v1/customers', undefined, { authorization: `Bearer ${revoked.key}` })
    expect(response.statusCode).toBe(401)
    expect(body(response).detail).toBe('the API key is not valid (unknown, revoked or mistyped)')
  })

  it('answers unknown routes with a 404 problem, key or not', async () => {
    const response = await api.call(null, { method: 'GET', url: '/v2/anything?x=1' })
    expect(response.statusCode).toBe(404)
    expect(body(response)).toMatchObject({ status: 404, detail: 'no route GET /v2/anything', instance: '/v2/anything' })
  })

  it('sets security headers', async () => {
    const response = await api.call('read', { method: 'GET', url: '/v1/customers/acme/risk' })
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'cache-control': 'no-store',
    })
    // Problems carry them too.
    expect((await api.call(null, { method: 'GET', url: '/v1/customers' })).headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('limits body size with a 413 problem', async () => {
    const response = await api.call('events:write', {
      method: 'POST',
      url: '/v1/events',
      payload: { ...buildUsageEvent(), properties: { blob: 'x'.repeat(8_000) } },
    })
    expect(response.statusCode).toBe(413)
    expect(body(response)).toMatchObject({ code: 'CW_API_PAYLOAD_TOO_LARGE', status: 413 })
  })

  it('reports readiness with PostgreSQL, Kafka and consumer lag, and liveness', async () => {
    expect(body(await api.call(null, { method: 'GET', url: '/healthz' }))).toEqual({ status: 'ok' })
    const ready = await api.call(null, { method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(body(ready)).toMatchObject({
      status: 'ready',
      checks: { postgres: { status: 'ok' }, kafka: { status: 'ok' }, consumerLag: { status: 'ok', messages: 0, maxMessages: null } },
    })
  })

  it('exposes Prometheus metrics: request latency, scores by band, lag, dead letters and webhook health', async () => {
    await api.call('read', { method: 'GET', url: '/v1/customers/acme/risk' })
    const response = await api.call(null, { method: 'GET', url: '/metrics' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/plain')
    const text = response.body
    expect(text).toMatch(/churnwatch_api_request_duration_seconds_count\{service="api",method="GET",route="\/v1\/customers\/:id\/risk",status_code="200"\} \d+/)
    expect(text).toContain('churnwatch_api_scores{band="medium",service="api"} 1')
    expect(text).toContain('churnwatch_api_scores{band="high",service="api"} 0')
    expect(text).toMatch(/churnwatch_api_consumer_lag_messages\{group="churnwatch-feature-builder",topic="[^"]+churn\.usage\.v1",service="api"\} 0/)
    expect(text).toContain('churnwatch_api_dead_letter_messages{service="api"} 0')
    expect(text).toContain('churnwatch_api_webhook_messages{status="dead",service="api"} 0')
    expect(text).toContain('churnwatch_api_webhook_endpoints{state="failing",service="api"} 0')
  })
})

describe('platform: rate limits, lag readiness, hidden 5xx and a real listen', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('platform2', { rateLimitPerMinute: 3, readyMaxConsumerLag: 0 })
  })
  afterAll(() => api.close())

  it('rate-limits per key with a 429 problem and Retry-After, other keys unaffected', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await api.call('read', { method: 'GET', url: '/v1/models' })).statusCode)
    expect(statuses).toEqual([200, 200, 200, 429])
    const limited = await api.call('read', { method: 'GET', url: '/v1/models' })
    expect(limited.headers['retry-after']).toMatch(/^\d+$/)
    expect(limited.headers['content-type']).toContain('application/problem+json')
    expect(body(limited)).toMatchObject({ status: 429, code: 'CW_API_RATE_LIMITED', detail: expect.stringContaining('3 requests per minute') })
    expect((await api.call('admin', { method: 'GET', url: '/v1/models' })).statusCode).toBe(200)
    // Health and metrics are never limited.
    for (let i = 0; i < 5; i++) expect((await api.call(null, { method: 'GET', url: '/healthz' })).statusCode).toBe(200)
  })

  it('is not ready while the feature builder lags beyond READY_MAX_CONSUMER_LAG', async () => {
    expect((await api.call('events:write', { method: 'POST', url: '/v1/events', payload: buildUsageEvent() })).statusCode).toBe(202)
    // The one event this world's topics hold, counted at the broker: the lag readiness must report exactly it.
    let written = 0
    for (const topic of [api.topics.usage, api.topics.billing]) for (const end of (await fetchEndOffsets(api.kafka, topic)).values()) written += Number(end)
    expect(written).toBe(1)
    const response = await api.call(null, { method: 'GET', url: '/readyz' })
    expect(response.statusCode).toBe(503)
    expect(body(response)).toMatchObject({
      status: 'not_ready',
      checks: { consumerLag: { status: 'failing', messages: written, maxMessages: 0 }, postgres: { status: 'ok' }, kafka: { status: 'ok' } },
    })
  })

  it('hides the detail of an unexpected 5xx, logs it once with the error, and keeps serving', async () => {
    // A real failure: the table the list reads is gone.
    await api.db.pool.query('ALTER TABLE risk_scores RENAME TO risk_scores_gone')
    try {
      const response = await api.call('admin', { method: 'GET', url: '/v1/customers' })
      expect(response.statusCode).toBe(500)
      const problem = body(response)
      expect(problem).toMatchObject({ status: 500, title: 'Internal Server Error', detail: 'Internal Server Error', code: 'CW_API_INTERNAL' })
      expect(response.body).not.toMatch(/risk_scores|relation|at .*\.js/)
      const errors = api.logs.filter((l) => l.level === 'error' && l.reqId === problem.requestId)
      expect(errors).toHaveLength(1)
      expect(JSON.stringify(errors[0]?.err)).toContain('risk_scores')
    } finally {
      await api.db.pool.query('ALTER TABLE risk_scores_gone RENAME TO risk_scores')
    }
    expect((await api.call('admin', { method: 'GET', url: '/v1/customers' })).statusCode).toBe(200)
  })

  it('serves real HTTP on listen({ port: 0 })', async () => {
    await saveScoreRows(api, [scoreRow('http-acme', 0.65, 1000)])
    const { key } = await createApiKey(api.db.pool, { scopes: ['read'] })
    const address = await api.app.listen({ port: 0, host: '127.0.0.1' })
    const response = await fetch(`${address}/v1/customers/http-acme/risk`, { headers: { authorization: `Bearer ${key}` } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await response.json()).toMatchObject({ customerId: 'http-acme', band: 'high', revenueAtRisk: 650 })
    const csv = await fetch(`${address}/v1/customers`, { headers: { 'x-api-key': key, accept: 'text/csv' } })
    expect((await csv.text()).split('\r\n')[1]).toMatch(/^http-acme,0\.65,high,650,/)
  })
})

