import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AlertEvent, BillingEvent, RiskScoreEvent } from '@churnwatch/contract'
import { backfillLines } from '@churnwatch/ingest'
import { createKafka, createPublisher, type Publisher } from '@churnwatch/kafka'
import { createLogger, createMetricsRegistry, type Logger } from '@churnwatch/observability'
import { simulateBusiness } from '@churnwatch/simulator'
import { createEndpoint, createOutboxRelay, createWebhookStore, migrate, type OutboxRelay } from '@churnwatch/storage'
import { buildBillingEvent, collectMessages, createTestDatabase, uniqueName, waitFor, type TestDatabase } from '@churnwatch/testkit'
import { selectTensorflowBackend, trainAndRegister } from '@churnwatch/training'
import { createWebhookDispatcher, generateSecret } from '@churnwatch/webhooks'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createScorer, type Scorer } from '../src/scorer.js'

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()

/** A receiver that keeps every verified webhook it gets. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Array<{ headers: IncomingHttpHeaders; body: string }> }> {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received }
}

function verify(secret: string, hook: { headers: IncomingHttpHeaders; body: string }): { type: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(hook.body, {
    'webhook-id': String(hook.headers['webhook-id']),
    'webhook-timestamp': String(hook.headers['webhook-timestamp']),
    'webhook-signature': String(hook.headers['webhook-signature']),
  }) as { type: string; data: Record<string, unknown> }
}

const billing = (overrides: Partial<BillingEvent>) => JSON.stringify(buildBillingEvent({ currency: 'USD', plan: 'pro', ...overrides }))

describe('renewal, cancellation and what-changed alerts against real Kafka, PostgreSQL and HTTP receivers', { timeout: 300_000 }, () => {
  const simulation = simulateBusiness({ customers: 150, months: 14, seed: 13, eventsPerActiveUserPerDay: 0.7 })
  const asOf = '2026-02-01T00:00:00.000Z'
  const asOfMs = Date.parse(asOf)
  const later = iso(asOfMs + 30 * DAY)
  const events = [...simulation.events()].filter((e) => Date.parse(e.occurredAt) <= Date.parse(e.kind === 'usage' ? asOf : later))
  // Annual contracts at 10,000/month: one renews 30 days after asOf, one 200 days after; one monthly customer cancels.
  const ours = [
    billing({ customerId: 'ra-renew-30', occurredAt: iso(asOfMs - 335 * DAY), mrr: 10_000, interval: 'year', currentPeriodEnd: iso(asOfMs + 30 * DAY) }),
    billing({ customerId: 'ra-renew-200', occurredAt: iso(asOfMs - 165 * DAY), mrr: 10_000, interval: 'year', currentPeriodEnd: iso(asOfMs + 200 * DAY) }),
    billing({ customerId: 'ra-cancel', occurredAt: iso(asOfMs - 200 * DAY), mrr: 4_900, interval: 'month' }),
    billing({ customerId: 'ra-cancel', occurredAt: iso(asOfMs - 2 * DAY), type: 'subscription_canceled', reason: 'too expensive', voluntary: true }),
  ]
  const log = createLogger({ service: 'scorer-test', level: 'silent' })
  const prefix = `${uniqueName('revops')}.`
  const changesSecret = generateSecret()
  const allSecret = generateSecret()
  let db: TestDatabase
  let scorer: Scorer
  let publisher: Publisher
  let outbox: OutboxRelay
  let changesReceiver: Awaited<ReturnType<typeof startReceiver>>
  let allReceiver: Awaited<ReturnType<typeof startReceiver>>
  let stopDispatcher: () => Promise<void>
  let stopCollect: () => Promise<void>
  let outputs: Awaited<ReturnType<typeof collectMessages>>['messages']

  beforeAll(async () => {
    db = await createTestDatabase('cw_revops_alerts')
    await migrate(db.pool)
    await backfillLines(db.pool, [...events.map((e) => JSON.stringify(e)), ...ours])
    await selectTensorflowBackend()
    await trainAndRegister(db.pool, { asOf, kind: 'logistic', activate: true })
    changesReceiver = await startReceiver()
    allReceiver = await startReceiver()
    await createEndpoint(db.pool, { id: 'changes', url: changesReceiver.url, secret: changesSecret, eventKinds: ['risk_changed'] })
    await createEndpoint(db.pool, { id: 'all', url: allReceiver.url, secret: allSecret, eventKinds: ['*'] })

    const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('scorer'), log })
    publisher = createPublisher(kafka, { log })
    await publisher.connect()
    outbox = createOutboxRelay(db.pool, (topic, messages) => publisher.publish(topic, messages), () => undefined)
    scorer = createScorer({
      pool: db.pool,
      kafka,
      publisher,
      outbox,
      log,
      registry: createMetricsRegistry({ service: 'scorer', defaultMetrics: false }),
      groupId: uniqueName('scorer_group'),
      topicPrefix: prefix,
      clock: 'data',
      sweepIntervalMs: 3_600_000,
      modelPollIntervalMs: 60_000,
      // Any move of the probability is material here: the test is about what a material change carries.
      materialDelta: 0.001,
      // Every score is at least medium (BAND_MEDIUM=0), none high: the renewal rule decides on the date alone.
      bandOverrides: { high: 1, medium: 0, rearm: 0.99 },
    })
    await scorer.start()
    const collected = await collectMessages([scorer.topics.riskScores, scorer.topics.alerts])
    outputs = collected.messages
    stopCollect = collected.stop
    const dispatcher = createWebhookDispatcher({ store: createWebhookStore(db.pool), log, pollIntervalMs: 100, allowPrivateNetworks: true })
    await dispatcher.start()
    stopDispatcher = dispatcher.stop
  }, 240_000)

  afterAll(async () => {
    await stopDispatcher()
    await stopCollect()
    await scorer.stop()
    await publisher.disconnect()
    await outbox.idle()
    await new Promise((resolve) => changesReceiver.server.close(resolve))
    await new Promise((resolve) => allReceiver.server.close(resolve))
    await db.drop()
  })

  const alertsOf = async (customerId: string) =>
    (await db.pool.query<{ kind: string; play: string; details: unknown }>('SELECT kind, play, details FROM alerts WHERE customer_id = $1 ORDER BY kind', [customerId])).rows

  it('raises renewal_at_risk with the renewal date and MRR at stake for a renewal in 30 days, not for one in 200', async () => {
    await scorer.sweep(asOf)
    expect((await alertsOf('ra-renew-30')).filter((a) => a.kind === 'renewal_at_risk')).toEqual([
      // 10,000 MRR x 12 months of an annual contract.
      { kind: 'renewal_at_risk', play: 'renewal_call', details: { renewalAt: '2026-03-03T00:00:00.000Z', mrrAtStake: 120_000 } },
    ])
    expect((await alertsOf('ra-renew-200')).map((a) => a.kind)).not.toContain('renewal_at_risk')
    const hooks = await waitFor(() => {
      const found = allReceiver.received.map((h) => verify(allSecret, h)).find((p) => p.type === 'renewal_at_risk' && p.data.customerId === 'ra-renew-30')
      return found
    })
    expect(hooks.data).toMatchObject({ renewalAt: '2026-03-03T00:00:00.000Z', mrrAtStake: 120_000, change: 'opened' })
  })

  it('raises cancel_requested with the reason, and the play follows it: too expensive -> discount offer', async () => {
    expect(await alertsOf('ra-cancel')).toEqual([
      { kind: 'cancel_requested', play: 'discount_offer', details: { reason: 'too expensive', reasonCategory: 'price' } },
    ])
    const event = await waitFor(() =>
      outputs
        .filter((m) => m.topic === scorer.topics.alerts)
        .map((m) => JSON.parse(String(m.value)) as AlertEvent)
        .find((e) => e.customerId === 'ra-cancel'),
    )
    expect(event).toMatchObject({ kind: 'cancel_requested', play: 'discount_offer', reason: 'too expensive', reasonCategory: 'price' })
  })

  it('names what changed on score events and delivers risk_changed only to the endpoint subscribed to it', async () => {
    // A first score changed nothing: no risk_changed yet.
    expect(await db.pool.query('SELECT 1 FROM webhook_outbox WHERE event_type = $1', ['risk_changed'])).toMatchObject({ rowCount: 0 })
    await scorer.sweep(later)
    const { rows: material } = await db.pool.query<{ customer_id: string; changes: RiskScoreEvent['changes'] }>(
      'SELECT customer_id, changes FROM risk_score_history WHERE as_of = $1',
      [later],
    )
    // Customers who started after asOf get their first score now: material, but nothing changed from.
    const changed = material.filter((r) => r.changes?.previous)
    expect(changed.length).toBeGreaterThan(0)
    const firsts = material.filter((r) => !r.changes?.previous).map((r) => r.customer_id)
    const { rows: firstHistory } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM risk_score_history WHERE customer_id = ANY($1::text[])', [firsts])
    expect(firstHistory[0]?.n).toBe(firsts.length)
    const hooks = await waitFor(() => (changesReceiver.received.length >= changed.length ? changesReceiver.received : undefined), { timeoutMs: 60_000 })
    const payloads = hooks.map((h) => verify(changesSecret, h))
    expect(payloads.every((p) => p.type === 'risk_changed')).toBe(true)
    expect(payloads.map((p) => p.data.customerId).sort()).toEqual(changed.map((r) => r.customer_id).sort())
    const byCustomer = new Map(material.map((r) => [r.customer_id, r.changes]))
    for (const { data } of payloads) {
      const changes = data.changes as NonNullable<RiskScoreEvent['changes']>
      expect(changes).toEqual(byCustomer.get(String(data.customerId)))
      // The previous material score is the one of the first sweep.
      expect(changes.previous?.asOf).toBe(asOf)
      expect(changes.entered.length + changes.left.length + changes.moved.length).toBeGreaterThan(0)
    }
    // The '*' endpoint gets alerts but not every score change.
    const { rows: outboxKinds } = await db.pool.query<{ endpoint_id: string; event_type: string; n: number }>(
      `SELECT endpoint_id, event_type, count(*)::int AS n FROM webhook_outbox WHERE event_type = 'risk_changed' GROUP BY 1, 2`,
    )
    expect(outboxKinds).toEqual([{ endpoint_id: 'changes', event_type: 'risk_changed', n: changed.length }])
    expect(allReceiver.received.map((h) => verify(allSecret, h).type)).not.toContain('risk_changed')
    // The score events on Kafka carry the same changes.
    const scoreEvents = await waitFor(() => {
      const found = outputs
        .filter((m) => m.topic === scorer.topics.riskScores)
        .map((m) => JSON.parse(String(m.value)) as RiskScoreEvent)
        .filter((e) => e.asOf === later)
      return found.length >= material.length ? found : undefined
    })
    for (const e of scoreEvents) expect(e.changes).toEqual(byCustomer.get(e.customerId))
    // And the current score keeps them for the risk document.
    const { rows: current } = await db.pool.query<{ customer_id: string; changes: unknown }>(
      'SELECT customer_id, changes FROM risk_scores WHERE customer_id = ANY($1::text[])',
      [material.map((r) => r.customer_id)],
    )
    for (const r of current) expect(r.changes).toEqual(byCustomer.get(r.customer_id))
  })
})

describe('churn_rate_spike against real Kafka and PostgreSQL', { timeout: 120_000 }, () => {
  // 100 customers started 2025-08-01 at 1,000/month; one ends mid-month every month Sep-Feb (6 of 585
  // customer-months), then churn in March: one customer by March 15, then three more.
  const start = (i: number) => billing({ customerId: `cr-${String(i).padStart(3, '0')}`, occurredAt: '2025-08-01T00:00:00.000Z', mrr: 1_000 })
  const end = (i: number, at: string) =>
    billing({ customerId: `cr-${String(i).padStart(3, '0')}`, occurredAt: at, type: 'subscription_ended', voluntary: true })
  const months = ['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02']
  const asOf = '2026-03-15T00:00:00.000Z'
  const log: Logger = createLogger({ service: 'scorer-test', level: 'silent' })
  let db: TestDatabase
  let scorer: Scorer
  let publisher: Publisher
  let outbox: OutboxRelay
  let stopCollect: () => Promise<void>
  let outputs: Awaited<ReturnType<typeof collectMessages>>['messages']

  beforeAll(async () => {
    db = await createTestDatabase('cw_churn_spike')
    await migrate(db.pool)
    await backfillLines(db.pool, [
      ...Array.from({ length: 100 }, (_, i) => start(i)),
      ...months.map((m, i) => end(i, `${m}-15T00:00:00.000Z`)),
      end(6, '2026-03-02T00:00:00.000Z'),
    ])
    await createEndpoint(db.pool, { id: 'ops', url: 'http://127.0.0.1:9/hooks', secret: generateSecret(), eventKinds: ['churn_rate_spike'] })
    const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('scorer'), log })
    publisher = createPublisher(kafka, { log })
    await publisher.connect()
    outbox = createOutboxRelay(db.pool, (topic, messages) => publisher.publish(topic, messages), () => undefined)
    scorer = createScorer({
      pool: db.pool,
      kafka,
      publisher,
      outbox,
      log,
      registry: createMetricsRegistry({ service: 'scorer', defaultMetrics: false }),
      groupId: uniqueName('scorer_group'),
      topicPrefix: `${uniqueName('spike')}.`,
      clock: 'data',
      sweepIntervalMs: 3_600_000,
      modelPollIntervalMs: 60_000,
      materialDelta: 0.05,
      churnRateCheck: { intervalMs: 0, level: 0.01, minChurned: 3, minSegmentCustomers: 100, baselinePeriods: 6 },
    })
    await scorer.start()
    const collected = await collectMessages([scorer.topics.alerts])
    outputs = collected.messages
    stopCollect = collected.stop
  }, 90_000)

  afterAll(async () => {
    await stopCollect()
    await scorer.stop()
    await publisher.disconnect()
    await outbox.idle()
    await db.drop()
  })

  const spikes = async () =>
    (await db.pool.query<{ customer_id: string; status: string; details: unknown }>(`SELECT customer_id, status, details FROM alerts WHERE kind = 'churn_rate_spike'`)).rows

  it('raises nothing while March churn stays within the baseline', async () => {
    expect(await scorer.checkChurnRate(asOf)).toEqual([])
    expect(await spikes()).toEqual([])
  })

  it('raises one churn_rate_spike when churn jumps, on the topic and for the subscribed endpoint, and only once', async () => {
    await backfillLines(db.pool, [end(7, '2026-03-03T00:00:00.000Z'), end(8, '2026-03-04T00:00:00.000Z'), end(9, '2026-03-05T00:00:00.000Z')])
    const changes = await scorer.checkChurnRate(asOf)
    expect(changes.map((c) => [c.alert.customerId, c.change])).toEqual([['churnwatch:churn-rate:month:all', 'opened']])
    // Baseline 6 / 585 per month, 14 of 31 days elapsed: expected 94 x 6/585 x 14/31 = 0.4354; P(X >= 4) = 0.0010074.
    const [stored] = await spikes()
    expect(stored).toMatchObject({
      customer_id: 'churnwatch:churn-rate:month:all',
      status: 'open',
      details: { scope: { period: 'month', segment: null, periodStart: '2026-03-01T00:00:00.000Z', customersAtStart: 94, churned: 4, level: 0.01 } },
    })
    const scope = (stored?.details as { scope: { pValue: number; expectedChurned: number } }).scope
    expect(scope.pValue).toBeCloseTo(0.001007386614, 9)
    expect(scope.expectedChurned).toBeCloseTo(0.435401158, 8)
    const event = await waitFor(() =>
      outputs.map((m) => JSON.parse(String(m.value)) as AlertEvent).find((e) => e.kind === 'churn_rate_spike'),
    )
    expect(event).toMatchObject({ customerId: 'churnwatch:churn-rate:month:all', change: 'opened', play: 'churn_review', revenueAtRisk: 4_000 })
    const { rows: hooks } = await db.pool.query<{ endpoint_id: string; event_type: string }>('SELECT endpoint_id, event_type FROM webhook_outbox')
    expect(hooks).toEqual([{ endpoint_id: 'ops', event_type: 'churn_rate_spike' }])

    // Checked again (the next sweep): still one alert, nothing new announced.
    expect(await scorer.checkChurnRate('2026-03-15T01:00:00.000Z')).toEqual([])
    expect(await spikes()).toHaveLength(1)
  })
})
