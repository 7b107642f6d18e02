import { MAX_EVENT_BYTES, parseEvent } from '@churnwatch/contract'
import { createPublisher } from '@churnwatch/kafka'
import { createLogger, createMetricsRegistry } from '@churnwatch/observability'
import { buildBillingEvent, buildUsageEvent, collectMessages, uniqueName, waitFor, type CollectedMessage } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiTopics, buildApp } from '../src/app.js'
import { body, buildTestApi, PROBE_TIMEOUT_MS, type TestApi } from './harness.js'

describe('event intake', () => {
  let api: TestApi
  let collector: { messages: CollectedMessage[]; stop: () => Promise<void> }
  beforeAll(async () => {
    api = await buildTestApi('events')
    collector = await collectMessages([api.topics.usage, api.topics.billing, api.topics.accounts])
  })
  afterAll(async () => {
    await collector.stop()
    await api.close()
  })

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    api.call('events:write', { method: 'POST', url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } })
  const onTopic = (topic: string, eventId: string) =>
    collector.messages.filter((m) => m.topic === topic && (JSON.parse(m.value?.toString() ?? '{}') as { eventId?: string }).eventId === eventId)

  it('publishes a valid usage event to the usage topic keyed by customerId, as sent, and answers 202', async () => {
    const event = { ...buildUsageEvent({ customerId: 'acme-intake', action: 'report_exported' }), plan_tier: 'gold' }
    const response = await post('/v1/events', event)
    expect(response.statusCode).toBe(202)
    expect(body(response)).toEqual({ status: 'accepted', eventId: event.eventId, customerId: 'acme-intake', topic: api.topics.usage })
    const [message] = await waitFor(() => {
      const found = onTopic(api.topics.usage, event.eventId)
      return found.length > 0 ? found : undefined
    })
    expect(message?.key).toBe('acme-intake')
    // Unknown extra fields travel on (storage keeps them), exactly as sent.
    expect(JSON.parse(message?.value?.toString() ?? '{}')).toEqual(event)
  })

  it('routes billing events to the billing topic and accepts a repeated eventId (consumers drop duplicates)', async () => {
    const event = buildBillingEvent({ customerId: 'acme-billing', type: 'payment_failed', amount: 4900 })
    expect((await post('/v1/events', event)).statusCode).toBe(202)
    expect((await post('/v1/events', event)).statusCode).toBe(202)
    await waitFor(() => onTopic(api.topics.billing, event.eventId).length === 2, { description: 'both copies on the billing topic' })
    expect(onTopic(api.topics.usage, event.eventId)).toEqual([])
  })

  it('routes account events to the accounts topic and rejects a bad one naming the field', async () => {
    const event = { eventId: 'acct-1', customerId: 'acme-crm', occurredAt: '2026-03-01T09:30:00Z', kind: 'account', segment: 'smb', employees: 12 }
    const response = await post('/v1/events', event)
    expect(response.statusCode).toBe(202)
    expect(body(response)).toMatchObject({ status: 'accepted', topic: api.topics.accounts })
    await waitFor(() => onTopic(api.topics.accounts, 'acct-1').length === 1, { description: 'the account event on the accounts topic' })
    expect(onTopic(api.topics.billing, 'acct-1')).toEqual([])
    const bad = await post('/v1/events', { ...event, eventId: 'acct-2', employees: -1 })
    expect(bad.statusCode).toBe(400)
    expect(JSON.stringify(body(bad))).toContain('body.employees')
  })

  it('rejects an invalid event with the contract’s field errors and publishes nothing', async () => {
    const bad = { eventId: 'bad-1', customerId: '', occurredAt: '2026-03-01 12:00', kind: 'usage', action: 'login', quantity: -2 }
    const response = await post('/v1/events', bad)
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    const problem = body<{ errors: Array<{ path: string; message: string }>; detail: string }>(response)
    // The same issues the Kafka consumers would dead-letter it with, located in the body.
    const expected = parseEvent(JSON.stringify(bad))
    expect(expected.ok).toBe(false)
    expect(problem.errors).toEqual(expected.ok ? [] : expected.issues.map((i) => ({ path: `body.${i.path}`, message: i.message })))
    expect(problem.errors.map((e) => e.path).sort()).toEqual(['body.customerId', 'body.occurredAt', 'body.quantity'])
    expect(problem.detail).toContain('body.occurredAt: must be ISO-8601 with a time zone')
    expect(onTopic(api.topics.usage, 'bad-1')).toEqual([])
  })

  it.each([
    [[buildUsageEvent()], 'body', 'must be a JSON object, got an array'],
    [{ ...buildUsageEvent(), kind: 'pageview' }, 'body.kind', 'must be one of: usage, billing, account'],
    [{ ...buildBillingEvent(), type: 'subscription_started', mrr: undefined }, 'body.mrr', 'is required for subscription_started and subscription_changed'],
    [{ ...buildUsageEvent(), properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } }, 'body', expect.stringMatching(/^message is \d+ bytes; the limit is 65536 bytes/)],
  ])('rejects %# with a field error', async (payload, path, message) => {
    const response = await post('/v1/events', payload)
    expect(response.statusCode).toBe(400)
    expect(body(response).errors).toEqual([{ path, message }])
  })

  it('answers 415 for a body that is not JSON and 400 for malformed JSON', async () => {
    const text = await api.call('events:write', { method: 'POST', url: '/v1/events', payload: 'hello', headers: { 'content-type': 'text/plain' } })
    expect(text.statusCode).toBe(415)
    expect(body(text)).toMatchObject({ code: 'CW_API_UNSUPPORTED_MEDIA_TYPE' })
    const broken = await api.call('events:write', { method: 'POST', url: '/v1/events', payload: '{"eventId":', headers: { 'content-type': 'application/json' } })
    expect(broken.statusCode).toBe(400)
    expect(body(broken)).toMatchObject({ code: 'CW_API_BAD_REQUEST', title: 'Bad request' })
  })

  it('takes a batch and reports a result per event, publishing only the valid ones', async () => {
    const good = buildUsageEvent({ customerId: 'batch-a' })
    const goodBilling = buildBillingEvent({ customerId: 'batch-b' })
    const bad = { ...buildUsageEvent({ customerId: 'batch-c' }), occurredAt: 'yesterday' }
    const response = await post('/v1/events/batch', { events: [good, bad, goodBilling, 'not an event'] })
    expect(response.statusCode).toBe(202)
    expect(body(response)).toEqual({
      accepted: 2,
      rejected: 2,
      results: [
        { index: 0, status: 'accepted', eventId: good.eventId, errors: [] },
        {
          index: 1,
          status: 'rejected',
          eventId: bad.eventId,
          errors: [{ path: 'occurredAt', message: 'must be ISO-8601 with a time zone, e.g. 2026-03-01T12:00:00Z or 2026-03-01T13:00:00+01:00' }],
        },
        { index: 2, status: 'accepted', eventId: goodBilling.eventId, errors: [] },
        { index: 3, status: 'rejected', eventId: null, errors: [{ path: '', message: 'must be a JSON object, got a string' }] },
      ],
    })
    await waitFor(() => onTopic(api.topics.usage, good.eventId).length === 1 && onTopic(api.topics.billing, goodBilling.eventId).length === 1)
    expect(onTopic(api.topics.usage, bad.eventId)).toEqual([])
  })

  it('accepts a batch of 1,000 and refuses 1,001 or a batch without events', async () => {
    const thousand = Array.from({ length: 1_000 }, (_, i) => buildUsageEvent({ customerId: `bulk-${i % 50}` }))
    const ok = await post('/v1/events/batch', { events: thousand })
    expect(ok.statusCode).toBe(202)
    expect(body(ok)).toMatchObject({ accepted: 1_000, rejected: 0 })
    const tooMany = await post('/v1/events/batch', { events: [...thousand, buildUsageEvent()] })
    expect(tooMany.statusCode).toBe(400)
    expect(body(tooMany).errors).toEqual([{ path: 'body.events', message: 'must hold 1 to 1000 events, got 1001' }])
    const missing = await post('/v1/events/batch', { event: thousand[0] })
    expect(body(missing).errors).toEqual([{ path: 'body.events', message: 'is required: an array of events' }])
    const empty = await post('/v1/events/batch', { events: [] })
    expect(body(empty).errors).toEqual([{ path: 'body.events', message: 'must hold 1 to 1000 events, got 0' }])
  })

  it('counts intake events for /metrics', async () => {
    const metrics = await api.call(null, { method: 'GET', url: '/metrics' })
    expect(metrics.body).toMatch(/churnwatch_api_events_total\{kind="usage",result="accepted",service="api"\} \d+/)
    expect(metrics.body).toMatch(/churnwatch_api_events_total\{kind="unknown",result="rejected",service="api"\} \d+/)
  })

  it('answers 503 when Kafka does not acknowledge in time, so the client retries', async () => {
    const log = createLogger({ service: 'api-test', level: 'silent' })
    const publisher = createPublisher(api.kafka)
    await publisher.connect()
    // Topics that were never created: the producer retries until the deadline passes.
    const app = await buildApp({
      pool: api.db.pool,
      publisher,
      outbox: api.outbox,
      kafka: api.kafka,
      log,
      registry: createMetricsRegistry({ service: 'api', defaultMetrics: false }),
      topics: apiTopics(`${uniqueName('missing')}.`),
      options: { publishTimeoutMs: 300, probeTimeoutMs: PROBE_TIMEOUT_MS },
    })
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: buildUsageEvent(),
        headers: { authorization: `Bearer ${api.keys['events:write']}` },
      })
      expect(response.statusCode).toBe(503)
      expect(response.headers['retry-after']).toBe('5')
      expect(body(response)).toMatchObject({ code: 'CW_API_UNAVAILABLE', detail: 'the event bus did not acknowledge within 300 ms; retry later (eventIds make retries safe)' })
      // Topics that do not exist yet hold nothing: no lag, no dead letters, and no waiting for retries.
      const ready = await app.inject({ method: 'GET', url: '/readyz' })
      expect(body(ready)).toMatchObject({ status: 'ready', checks: { consumerLag: { status: 'ok', messages: 0 } } })
      expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain('churnwatch_api_dead_letter_messages{service="api"} 0')
    } finally {
      await app.close()
      await publisher.disconnect()
    }
  })
})
