import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import type { AlertEvent, RiskScoreEvent } from '@churnwatch/contract'
import { backfillLines } from '@churnwatch/ingest'
import { createKafka, createPublisher, type Publisher } from '@churnwatch/kafka'
import { createLogger, createMetricsRegistry } from '@churnwatch/observability'
import { simulateBusiness } from '@churnwatch/simulator'
import { activateModel, createEndpoint, createOutboxRelay, createWebhookStore, getActiveModel, insertModel, migrate, type OutboxRelay } from '@churnwatch/storage'
import { collectMessages, createTestDatabase, produceMessages, uniqueName, waitFor, type TestDatabase } from '@churnwatch/testkit'
import { selectTensorflowBackend, trainAndRegister } from '@churnwatch/training'
import { createWebhookDispatcher, generateSecret } from '@churnwatch/webhooks'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createScorer, type Scorer } from '../src/scorer.js'

const DAY = 86_400_000

describe('scorer against real Kafka, PostgreSQL and a webhook receiver', { timeout: 240_000 }, () => {
  const simulation = simulateBusiness({ customers: 200, months: 14, seed: 8, eventsPerActiveUserPerDay: 0.7 })
  const asOf = '2026-02-01T00:00:00.000Z'
  const later = new Date(Date.parse(asOf) + 30 * DAY).toISOString()
  // After asOf every customer goes silent: usage stops, billing (invoices, cancellations) goes on.
  const events = [...simulation.events()].filter(
    (e) => Date.parse(e.occurredAt) <= Date.parse(e.kind === 'usage' ? asOf : later),
  )
  // Errors are kept for the tests that expect one (an unscorable model).
  const errors: Array<Record<string, unknown>> = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      errors.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>)
      done()
    },
  })
  const log = createLogger({ service: 'scorer-test', level: 'error', destination })
  const prefix = `${uniqueName('scorer')}.`
  const secret = generateSecret()
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = []
  let db: TestDatabase
  let scorer: Scorer
  let publisher: Publisher
  let outbox: OutboxRelay
  let receiver: Server
  let stopDispatcher: () => Promise<void>
  let stopCollect: () => Promise<void>
  let outputs: Awaited<ReturnType<typeof collectMessages>>['messages']

  beforeAll(async () => {
    db = await createTestDatabase('cw_scorer')
    await migrate(db.pool)
    await backfillLines(db.pool, events.map((e) => JSON.stringify(e)))
    await selectTensorflowBackend()
    await trainAndRegister(db.pool, { asOf, kind: 'gbdt', activate: true })

    receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
      req.on('end', () => {
        received.push({ headers: req.headers, body })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    await createEndpoint(db.pool, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`, secret, eventKinds: ['risk_high'] })

    const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('scorer'), log })
    publisher = createPublisher(kafka, { log })
    await publisher.connect()
    outbox = createOutboxRelay(db.pool, (topic, messages) => publisher.publish(topic, messages), (err) => log.warn({ err }, 'outbox relay failed'))
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
      modelPollIntervalMs: 500,
      materialDelta: 0.05,
    })
    await scorer.start()
    const collected = await collectMessages([scorer.topics.riskScores, scorer.topics.alerts])
    outputs = collected.messages
    stopCollect = collected.stop
    const dispatcher = createWebhookDispatcher({ store: createWebhookStore(db.pool), log, pollIntervalMs: 100, allowPrivateNetworks: true })
    await dispatcher.start()
    stopDispatcher = dispatcher.stop
  }, 180_000)

  afterAll(async () => {
    await stopDispatcher()
    await stopCollect()
    await scorer.stop()
    await publisher.disconnect()
    await outbox.idle()
    await new Promise((resolve) => receiver.close(resolve))
    await db.drop()
  })

  const count = async (sql: string) => (await db.pool.query<{ n: number }>(sql)).rows[0]?.n ?? 0

  it('sweeps every active customer at the data clock, stores scores and publishes them', async () => {
    expect(Date.parse(scorer.asOf())).toBe(Math.max(...events.map((e) => Date.parse(e.occurredAt))))
    const result = await scorer.sweep(asOf)
    expect(result.scored).toBeGreaterThan(100)
    expect(await count('SELECT count(*)::int AS n FROM risk_scores')).toBe(result.scored)
    const published = await waitFor(() => {
      const scores = outputs.filter((m) => m.topic === scorer.topics.riskScores)
      return scores.length >= result.scored ? scores : undefined
    })
    const event = JSON.parse(String(published[0]?.value)) as RiskScoreEvent
    expect(event.asOf).toBe(asOf)
    expect(published[0]?.key).toBe(event.customerId)
  })

  it('raises risk for customers who merely go silent, with risk_high alerts delivered as signed webhooks', async () => {
    const before = new Map((await db.pool.query<{ customer_id: string; probability: number }>('SELECT customer_id, probability FROM risk_scores')).rows.map((r) => [r.customer_id, r.probability]))
    await scorer.sweep(later)
    const after = (await db.pool.query<{ customer_id: string; probability: number }>('SELECT customer_id, probability FROM risk_scores')).rows
    const rose = after.filter((r) => (before.get(r.customer_id) ?? 1) < r.probability).length
    expect(rose / after.length).toBeGreaterThan(0.5)

    const opened = await count(`SELECT count(*)::int AS n FROM alerts WHERE kind = 'risk_high' AND status = 'open'`)
    expect(opened).toBeGreaterThan(0)
    const hooks = await waitFor(() => (received.length >= opened ? received : undefined), { timeoutMs: 30_000 })
    const webhook = new Webhook(secret)
    for (const hook of hooks) {
      const payload = webhook.verify(hook.body, {
        'webhook-id': String(hook.headers['webhook-id']),
        'webhook-timestamp': String(hook.headers['webhook-timestamp']),
        'webhook-signature': String(hook.headers['webhook-signature']),
      }) as { type: string; data: AlertEvent }
      expect(payload.type).toBe('risk_high')
      // An open alert raised by the first sweep is updated by the later one; the webhook carries it as raised.
      const stored = await db.pool.query<{ kind: string; revenue_at_risk: number; updated: boolean }>(
        'SELECT kind, revenue_at_risk, updated_at > created_at AS updated FROM alerts WHERE alert_id = $1',
        [payload.data.alertId],
      )
      const row = stored.rows[0]
      expect(row?.kind).toBe('risk_high')
      if (row?.updated === false) expect(row.revenue_at_risk).toBe(payload.data.revenueAtRisk)
    }
    expect((await count(`SELECT count(*)::int AS n FROM alerts WHERE kind = 'risk_high' AND updated_at = created_at`)) > 0).toBe(true)
    expect(new Set(hooks.map((h) => h.headers['webhook-id'])).size).toBe(hooks.length)

    // Alert events leave through the Kafka outbox once committed: every stored alert is on the topic, and the outbox drains.
    const storedIds = (await db.pool.query<{ alert_id: string }>(`SELECT alert_id FROM alerts WHERE kind = 'risk_high'`)).rows.map((r) => r.alert_id)
    const onTopic = await waitFor(() => {
      const ids = new Set(
        outputs.filter((m) => m.topic === scorer.topics.alerts).map((m) => (JSON.parse(String(m.value)) as AlertEvent).alertId),
      )
      return storedIds.every((id) => ids.has(id)) ? ids : undefined
    })
    const everyAlert = new Set((await db.pool.query<{ alert_id: string }>('SELECT alert_id FROM alerts')).rows.map((r) => r.alert_id))
    expect([...onTopic].filter((id) => !everyAlert.has(id))).toEqual([])
    expect(await count('SELECT count(*)::int AS n FROM kafka_outbox')).toBe(0)
  })

  it('raises nothing twice when the same asOf is scored again (replay) and rescoring follows features-changed', async () => {
    const alertsBefore = await count('SELECT count(*)::int AS n FROM alerts')
    const outboxBefore = await count('SELECT count(*)::int AS n FROM webhook_outbox')
    await scorer.sweep(later)
    expect(await count('SELECT count(*)::int AS n FROM alerts')).toBe(alertsBefore)
    expect(await count('SELECT count(*)::int AS n FROM webhook_outbox')).toBe(outboxBefore)

    const { rows } = await db.pool.query<{ customer_id: string }>('SELECT customer_id FROM risk_scores ORDER BY customer_id LIMIT 1')
    const customerId = rows[0]?.customer_id ?? ''
    const announcedAt = new Date(Date.parse(asOf) + 40 * DAY).toISOString()
    await produceMessages(scorer.topics.featuresChanged, [
      { key: customerId, value: { eventId: uniqueName('fc'), customerId, eventCount: 1, maxOccurredAt: announcedAt, changedAt: announcedAt } },
    ])
    await waitFor(async () => {
      const r = await db.pool.query<{ as_of: Date }>('SELECT as_of FROM risk_scores WHERE customer_id = $1', [customerId])
      return r.rows[0]?.as_of.toISOString() === announcedAt
    })
  })

  it('publishes a score change only once it is committed', async () => {
    const at = new Date(Date.parse(asOf) + 75 * DAY).toISOString()
    const heardAt = () =>
      outputs
        .filter((m) => m.topic === scorer.topics.riskScores)
        .map((m) => JSON.parse(String(m.value)) as RiskScoreEvent)
        .filter((e) => e.asOf === at)
    // A commit that fails after every statement of the sweep succeeded: a deferred check on the scores.
    await db.pool.query(`CREATE FUNCTION refuse_score() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'score of % refused at commit', NEW.customer_id; END $$`)
    await db.pool.query(`CREATE CONSTRAINT TRIGGER refuse_score AFTER INSERT OR UPDATE ON risk_scores
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_score()`)
    try {
      await expect(scorer.sweep(at)).rejects.toThrow(/refused at commit/)
    } finally {
      await db.pool.query('DROP TRIGGER refuse_score ON risk_scores; DROP FUNCTION refuse_score()')
    }
    expect(await count('SELECT count(*)::int AS n FROM kafka_outbox')).toBe(0)
    // An absence can only be watched for a while; events published before the commit arrive well within it.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(heardAt()).toEqual([])

    await scorer.sweep(at)
    const changed = new Set(
      (await db.pool.query<{ customer_id: string }>('SELECT customer_id FROM risk_score_history WHERE as_of = $1', [at])).rows.map((r) => r.customer_id),
    )
    expect(changed.size).toBeGreaterThan(0)
    const heard = await waitFor(() => {
      const events = heardAt()
      return events.length >= changed.size ? events : undefined
    })
    expect(heard.map((e) => e.customerId).sort()).toEqual([...changed].sort())
  })

  it('rescores everyone when a new model version is activated', async () => {
    const logistic = await trainAndRegister(db.pool, { asOf, kind: 'logistic', activate: true })
    const scored = await count('SELECT count(*)::int AS n FROM risk_scores')
    await waitFor(
      async () => (await count(`SELECT count(*)::int AS n FROM risk_scores WHERE model_version = '${logistic.version}'`)) === scored,
      { timeoutMs: 60_000, description: 'every score from the new model' },
    )
  })

  it('keeps scoring with the loaded model when the active one needs a feature this version does not compute, and logs it once', async () => {
    const current = await getActiveModel(db.pool)
    if (!current) throw new Error('no active model')
    // A model trained by a release that had one more feature, activated by that release.
    const artifact = JSON.parse(new TextDecoder().decode(current.artifact)) as { featureNames: string[]; params: { transforms?: Array<{ feature: string }> } }
    artifact.featureNames[0] = 'retired_signal'
    if (artifact.params.transforms?.[0]) artifact.params.transforms[0].feature = 'retired_signal'
    await insertModel(db.pool, {
      version: 'retired-feature-model',
      kind: current.kind,
      trainedAsOf: current.trainedAsOf,
      featureNames: artifact.featureNames,
      training: {},
      metrics: current.metrics,
      artifact: new TextEncoder().encode(JSON.stringify(artifact)),
    })
    await activateModel(db.pool, 'retired-feature-model')
    const reported = await waitFor(() => errors.find((e) => e.modelVersion === 'retired-feature-model'), { description: 'the unscorable model reported' })
    expect(reported).toMatchObject({ level: 'error', keptModelVersion: current.version, missingFeatures: ['retired_signal'], err: { code: 'CW_MODEL_UNSUPPORTED_FEATURES' } })
    const result = await scorer.sweep(later)
    expect(result.scored).toBeGreaterThan(100)
    expect(await count(`SELECT count(*)::int AS n FROM risk_scores WHERE model_version = 'retired-feature-model'`)).toBe(0)
    expect(await scorer.reloadModel()).toBe(false)
    expect(errors.filter((e) => e.modelVersion === 'retired-feature-model')).toHaveLength(1)
  })
})
