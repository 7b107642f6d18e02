import { Writable } from 'node:stream'
import { TOPIC_SPECS, type RiskBand } from '@churnwatch/contract'
import { createKafka, createPublisher, ensureTopics, type KafkaClient, type Publisher } from '@churnwatch/kafka'
import { createLogger, createMetricsRegistry, type Registry } from '@churnwatch/observability'
import {
  createApiKey,
  createOutboxRelay,
  listenForScoreChanges,
  migrate,
  saveScores,
  withTransaction,
  type AlertRow,
  type ApiKeyScope,
  type OutboxRelay,
  type ScoreChangeFeed,
  type ScoreRow,
} from '@churnwatch/storage'
import { createTestDatabase, uniqueName, type TestDatabase } from '@churnwatch/testkit'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { inject } from 'vitest'
import { apiTopics, buildApp, type ApiApp, type ApiOptions, type ApiTopics } from '../src/app.js'

// Readiness probes get more time than in production: CI runs three suites at once on two cores, and a
// slow admin round trip there must not read as an outage.
export const PROBE_TIMEOUT_MS = 20_000

export interface TestApi {
  app: ApiApp
  db: TestDatabase
  kafka: KafkaClient
  publisher: Publisher
  /** The app's Kafka outbox relay, as a process would share it. */
  outbox: OutboxRelay
  topics: ApiTopics
  registry: Registry
  /** One key per scope. */
  keys: Record<ApiKeyScope, string>
  /** Structured log records written by the app. */
  logs: Array<Record<string, unknown>>
  /** inject with `Authorization: Bearer <keys[scope]>` (no header when scope is null). */
  call: (scope: ApiKeyScope | null, options: InjectOptions) => Promise<LightMyRequestResponse>
  /** The score-change feed the app's risk cache follows, when built with `{ riskCache: true }`. */
  scoreChanges: ScoreChangeFeed | undefined
  /** Moves the app's clock. */
  setNow: (iso: string) => void
  close: () => Promise<void>
}

export const T0 = '2026-03-01T12:00:00.000Z'

/** A fresh database, topic prefix, keys and app over real PostgreSQL and Kafka. */
export async function buildTestApi(name: string, options: Partial<ApiOptions> = {}, setup: { riskCache?: boolean } = {}): Promise<TestApi> {
  const db = await createTestDatabase(`cw_api_${name}`)
  await migrate(db.pool)
  // Off unless asked for: other suites write scores and read them back at once, faster than a notification.
  const scoreChanges = setup.riskCache
    ? listenForScoreChanges({ connectionString: db.url, applicationName: `cw-test-${name}-score-changes`, reconnectMs: 2_000 })
    : undefined
  const logs: Array<Record<string, unknown>> = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      callback()
    },
  })
  const log = createLogger({ service: 'api-test', level: 'info', destination })
  const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('api_test'), log })
  const topics = apiTopics(`${uniqueName(name)}.`)
  await ensureTopics(kafka, [
    { topic: topics.usage, numPartitions: TOPIC_SPECS.usage.numPartitions },
    { topic: topics.billing, numPartitions: TOPIC_SPECS.billing.numPartitions },
    { topic: topics.accounts, numPartitions: TOPIC_SPECS.accounts.numPartitions },
    { topic: topics.alerts, numPartitions: TOPIC_SPECS.alerts.numPartitions },
    { topic: topics.deadLetter, numPartitions: TOPIC_SPECS.deadLetter.numPartitions },
  ])
  const publisher = createPublisher(kafka)
  await publisher.connect()
  const registry = createMetricsRegistry({ service: 'api', defaultMetrics: false })
  let now = new Date(T0)
  // Test receivers listen on 127.0.0.1; webhooks.int.test.ts builds an app without private networks too.
  const outbox = createOutboxRelay(db.pool, (topic, messages) => publisher.publish(topic, messages), (err) => log.warn({ err }, 'outbox relay failed'))
  const app = await buildApp({ pool: db.pool, publisher, outbox, kafka, log, registry, topics, scoreChanges, now: () => now, options: { probeCacheMs: 0, probeTimeoutMs: PROBE_TIMEOUT_MS, allowPrivateWebhookNetworks: true, ...options } })
  const keys = {
    read: (await createApiKey(db.pool, { name: 'reader', scopes: ['read'] })).key,
    'events:write': (await createApiKey(db.pool, { name: 'intake', scopes: ['events:write'] })).key,
    'alerts:write': (await createApiKey(db.pool, { name: 'success-team', scopes: ['alerts:write'] })).key,
    admin: (await createApiKey(db.pool, { name: 'admin', scopes: ['admin'] })).key,
  }
  return {
    app,
    db,
    kafka,
    publisher,
    outbox,
    topics,
    registry,
    keys,
    logs,
    scoreChanges,
    call: (scope, request) =>
      app.inject({ ...request, headers: { ...(scope ? { authorization: `Bearer ${keys[scope]}` } : {}), ...request.headers } }),
    setNow: (iso) => {
      now = new Date(iso)
    },
    close: async () => {
      await app.close()
      await scoreChanges?.close()
      await publisher.disconnect()
      await outbox.idle()
      await db.drop()
    },
  }
}

/** A score row as the scorer writes it; revenueAtRisk = round(probability × mrr). */
export function scoreRow(customerId: string, probability: number, mrr: number, overrides: Partial<ScoreRow> = {}): ScoreRow {
  const band: RiskBand = probability >= 0.6 ? 'high' : probability >= 0.3 ? 'medium' : 'low'
  return {
    customerId,
    probability,
    band,
    drivers: [
      { feature: 'days_since_last_activity', value: 21, contribution: 0.8, sentence: 'No product usage in the last 21 days' },
      { feature: 'failed_payments_90d', value: 2, contribution: 0.3, sentence: '2 failed payments in the last 90 days' },
    ],
    features: { tenure_days: 120.5, days_since_last_activity: 21, failed_payments_90d: 2, mrr, 'action_30d:report_exported': 3 },
    plan: 'pro',
    mrr,
    revenueAtRisk: Math.round(probability * mrr),
    modelVersion: 'gbdt-2026-02-01-abcdef01',
    asOf: T0,
    scoredAt: T0,
    ...overrides,
  }
}

/** Writes scores as the scorer does (material changes get a new changeSeq and a history row). */
export async function saveScoreRows(api: TestApi, rows: ScoreRow[], material = true): Promise<void> {
  await withTransaction(api.db.pool, (tx) => saveScores(tx, rows.map((r) => ({ ...r, material }))))
}

/** The JSON body of a response. */
export function body<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return response.json<T>()
}

/** An open risk_high alert as stored, for tests that seed alerts. */
export const alertRow = (alertId: string, createdAt: string, overrides: Partial<AlertRow> = {}): AlertRow => ({
  alertId,
  customerId: `cust-${alertId}`,
  kind: 'risk_high',
  status: 'open',
  probability: 0.81,
  revenueAtRisk: 3969,
  drivers: [{ feature: 'days_since_last_activity', value: 21, contribution: 0.8, sentence: 'No product usage in the last 21 days' }],
  play: 'Call the account owner this week',
  createdAt,
  updatedAt: createdAt,
  acknowledgedAt: null,
  resolvedAt: null,
  resolution: null,
  ...overrides,
})
