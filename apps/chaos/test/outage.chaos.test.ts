import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { ChurnEvent } from '@churnwatch/contract'
import { ensureFeatureBuilderTopics, featureBuilderTopics } from '@churnwatch/feature-builder'
import { backfillLines } from '@churnwatch/ingest'
import { createKafka, createPublisher, fetchEndOffsets, type KafkaClient, type Publisher } from '@churnwatch/kafka'
import { createLogger } from '@churnwatch/observability'
import { simulateBusiness } from '@churnwatch/simulator'
import { activateModel, createPool, digestFeatureState, getActiveModel, insertModel, migrate, type Pool } from '@churnwatch/storage'
import { waitFor } from '@churnwatch/testkit'
import { selectTensorflowBackend, trainAndRegister } from '@churnwatch/training'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toTopicMessages } from './support/events.js'
import { expectedState, generateOutageEvents } from './support/outage-events.js'
import { describeExit, startService, type ServiceProcess } from './support/outage-processes.js'
import { CHAOS_DIR, freePort, startPrivateInfra, type PrivateInfra } from './support/private-infra.js'

const OUTAGE_MS = 20_000
// Each service must notice the outage well within it: a readiness probe that lags it is useless.
const NOTICE_MS = 15_000
const RECOVER_MS = 90_000
const GROUP_ID = 'churnwatch-feature-builder'

describe('outages: the broker, then the database, down for 20 s mid-stream', { timeout: 300_000 }, () => {
  const events = generateOutageEvents(400, 40, 31)
  const expected = expectedState(events)
  // Five parts of the stream: before, during and after the broker outage, during and after the database outage.
  const parts = splitInto(events, 5)
  const log = createLogger({ service: 'chaos-outage', level: 'silent' })
  const timings: Record<string, number> = {}
  let infra: PrivateInfra | undefined
  let pool: Pool
  let kafka: KafkaClient
  let publisher: Publisher
  let builder: ServiceProcess
  let scorer: ServiceProcess
  const services = (): ServiceProcess[] => [builder, scorer]
  const topics = featureBuilderTopics('')

  beforeAll(async () => {
    const started = Date.now()
    infra = await startPrivateInfra('outage')
    const logDir = path.join(CHAOS_DIR, 'logs')
    mkdirSync(logDir, { recursive: true })
    pool = createPool({ connectionString: infra.databaseUrl, max: 4, onIdleError: () => undefined })
    await migrate(pool)
    await registerModel(infra, pool)
    kafka = createKafka({ brokers: [infra.brokers], clientId: 'chaos-outage', log })
    await ensureFeatureBuilderTopics(kafka, topics)
    publisher = createPublisher(kafka)
    await publisher.connect()

    const common = { DATABASE_URL: infra.databaseUrl, KAFKA_BROKERS: infra.brokers, KAFKA_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'warn' }
    builder = startService({ name: 'feature-builder', env: common, httpPort: await freePort(), logFile: path.join(logDir, 'feature-builder.log') })
    scorer = startService({
      name: 'scorer',
      env: { ...common, SCORER_CLOCK: 'data', MODEL_POLL_INTERVAL_MS: '1000', SWEEP_INTERVAL_MS: '15000' },
      httpPort: await freePort(),
      logFile: path.join(logDir, 'scorer.log'),
    })
    await waitFor(async () => (await Promise.all(services().map((s) => s.readyz()))).every((status) => status === 200), {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: 'both services ready',
    })
    timings.setupMs = Date.now() - started
  })

  afterAll(async () => {
    await Promise.allSettled([builder?.kill(), scorer?.kill()])
    await publisher?.disconnect().catch(() => undefined)
    await pool?.end().catch(() => undefined)
    await infra?.destroy()
    console.log('outage timings (ms)', timings)
  })

  const produce = async (part: readonly ChurnEvent[]) => {
    const { usage, billing } = toTopicMessages(part)
    for (let i = 0; i < usage.length; i += 2_000) await publisher.publish(topics.usage, usage.slice(i, i + 2_000))
    for (let i = 0; i < billing.length; i += 2_000) await publisher.publish(topics.billing, billing.slice(i, i + 2_000))
  }

  const foldedOffsets = async (): Promise<number> => {
    const { rows } = await pool.query<{ n: number | null }>('SELECT sum(next_offset)::int AS n FROM consumer_offsets WHERE group_id = $1', [GROUP_ID])
    return rows[0]?.n ?? 0
  }

  /** True when the stored offsets reach every input partition's end offset. */
  const caughtUp = async (): Promise<boolean> => {
    const { rows } = await pool.query<{ topic: string; partition: number; next_offset: string }>(
      'SELECT topic, partition, next_offset FROM consumer_offsets WHERE group_id = $1',
      [GROUP_ID],
    )
    const stored = new Map(rows.map((r) => [`${r.topic}/${r.partition}`, BigInt(r.next_offset)]))
    for (const topic of [topics.usage, topics.billing]) {
      for (const [partition, end] of await fetchEndOffsets(kafka, topic)) {
        if (end > 0n && (stored.get(`${topic}/${partition}`) ?? 0n) < end) return false
      }
    }
    return true
  }

  /**
   * Holds an outage for OUTAGE_MS from `since`: every process must stay alive throughout, and each
   * must report not-ready within NOTICE_MS and keep doing so until the outage ends.
   */
  async function holdOutage(since: number, what: string): Promise<void> {
    const notReadySince = new Map<string, number>()
    while (Date.now() - since < OUTAGE_MS) {
      for (const service of services()) {
        expect(service.isAlive(), `${what}: ${describeExit(service)}`).toBe(true)
        const status = await service.readyz()
        expect(status, `${what}: ${service.name} ops server answers`).not.toBe(0)
        if (status === 503 && !notReadySince.has(service.name)) notReadySince.set(service.name, Date.now() - since)
        if (notReadySince.has(service.name)) expect(status, `${what}: ${service.name} stays not-ready until the outage ends`).toBe(503)
        else expect(Date.now() - since, `${what}: ${service.name} reports not-ready within ${NOTICE_MS} ms`).toBeLessThan(NOTICE_MS)
      }
      // The outage itself is a timed hold; this paces the readiness probe.
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    for (const service of services()) {
      expect(notReadySince.has(service.name), `${what}: ${service.name} reported not-ready`).toBe(true)
      timings[`${what}:${service.name}:notReadyAfterMs`] = notReadySince.get(service.name) ?? -1
    }
  }

  async function awaitRecovery(since: number, what: string): Promise<void> {
    await Promise.all(
      services().map(async (service) => {
        await waitFor(
          async () => {
            expect(service.isAlive(), `${what}: ${describeExit(service)}`).toBe(true)
            return (await service.readyz()) === 200
          },
          { timeoutMs: RECOVER_MS, intervalMs: 250, description: `${service.name} ready again after the ${what} outage` },
        ).catch((err: unknown) => {
          // A dead process is the finding; say so rather than "not ready".
          expect(service.isAlive(), `${what}: ${describeExit(service)}`).toBe(true)
          throw err
        })
        timings[`${what}:${service.name}:readyAgainMs`] = Date.now() - since
      }),
    )
  }

  it('folds the first part of the stream', async () => {
    await produce(parts[0] ?? [])
    await waitFor(async () => (await foldedOffsets()) > 0, { timeoutMs: 60_000, intervalMs: 50, description: 'the first batch folded' })
  })

  it('Kafka down 20 s: both services stay up, report not-ready, recover by themselves and keep folding', async () => {
    const stopped = Date.now()
    await infra?.kafka.stop('SIGKILL')
    // Upstream keeps sending: its producer must wait for the broker rather than give up.
    const sending = produce(parts[1] ?? [])
    sending.catch(() => undefined)
    let restarted = 0
    try {
      await holdOutage(stopped, 'kafka')
    } finally {
      // Back even when an assertion failed, so the later tests still have a broker.
      restarted = Date.now()
      await infra?.kafka.start()
      timings.kafkaRestartMs = Date.now() - restarted
    }
    await awaitRecovery(restarted, 'kafka')
    await sending
    await produce(parts[2] ?? [])
    await waitFor(caughtUp, { timeoutMs: RECOVER_MS, intervalMs: 250, description: 'folded up to the end of every partition after the broker outage' })
    timings['kafka:caughtUpMs'] = Date.now() - restarted
  })

  it('PostgreSQL down 20 s: both services stay up, report not-ready, recover by themselves and keep folding', async () => {
    await produce(parts[3]?.slice(0, Math.floor((parts[3]?.length ?? 0) / 2)) ?? [])
    const stopped = Date.now()
    await infra?.postgres.stop('fast')
    // Events keep arriving while the database is away; the broker holds them.
    await produce(parts[3]?.slice(Math.floor((parts[3]?.length ?? 0) / 2)) ?? [])
    let restarted = 0
    try {
      await holdOutage(stopped, 'postgres')
    } finally {
      restarted = Date.now()
      await infra?.postgres.start()
    }
    await awaitRecovery(restarted, 'postgres')
    await produce(parts[4] ?? [])
    await waitFor(caughtUp, { timeoutMs: RECOVER_MS, intervalMs: 250, description: 'folded up to the end of every partition after the database outage' })
    timings['postgres:caughtUpMs'] = Date.now() - restarted
  })

  it('ends in the known answer: every event folded exactly once', async () => {
    const count = async (sql: string) => (await pool.query<{ n: number }>(sql)).rows[0]?.n ?? -1
    expect(await count('SELECT count(*)::int AS n FROM events')).toBe(expected.events)
    expect(await count('SELECT count(*)::int AS n FROM billing_events')).toBe(expected.billingEvents)
    const activity = await pool.query<{ k: string; v: string }>(
      `SELECT customer_id || '|' || day || '|' || action AS k, event_count || ',' || quantity AS v FROM daily_activity`,
    )
    expect(new Map(activity.rows.map((r) => [r.k, r.v]))).toEqual(expected.dailyActivity)
    const users = await pool.query<{ k: string; n: number }>(`SELECT customer_id || '|' || day || '|' || user_id AS k, event_count AS n FROM daily_users`)
    expect(new Map(users.rows.map((r) => [r.k, r.n]))).toEqual(expected.dailyUsers)
    const customers = await pool.query<{
      customer_id: string
      status: string
      plan: string | null
      usage_events: number
      billing_events: number
      first_seen_at: Date
      last_seen_at: Date
    }>('SELECT customer_id, status, plan, usage_events, billing_events, first_seen_at, last_seen_at FROM customers ORDER BY customer_id')
    expect(customers.rows.map((r) => ({ ...r, first_seen_at: r.first_seen_at.toISOString(), last_seen_at: r.last_seen_at.toISOString() }))).toEqual(
      expected.customers,
    )
  })

  it('the same state as a clean run of the same input', async () => {
    if (!infra) throw new Error('no infra')
    // The clean run: the same events folded in one go into a fresh database on the same server.
    const cleanUrl = infra.postgres.url('chaos_outage_clean')
    await pool.query('CREATE DATABASE chaos_outage_clean')
    const clean = createPool({ connectionString: cleanUrl, max: 2 })
    try {
      await migrate(clean)
      await backfillLines(
        clean,
        events.map((e) => JSON.stringify(e)),
      )
      expect(await digestFeatureState(pool)).toBe(await digestFeatureState(clean))
    } finally {
      await clean.end()
    }
  })

  it('the scorer scores every paying customer after both outages', async () => {
    // The scorer's data clock follows the announcements; the last one carries the latest event time,
    // and its sweep then rescores everyone as of it: only a scorer that recovered gets there.
    const lastEventAt = events.reduce((max, e) => (e.occurredAt > max ? e.occurredAt : max), '')
    const scored = await waitFor(
      async () => {
        const { rows } = await pool.query<{ customer_id: string; as_of: Date }>('SELECT customer_id, as_of FROM risk_scores ORDER BY customer_id')
        const ids = rows.map((r) => r.customer_id)
        const current = rows.every((r) => r.as_of.toISOString() === new Date(lastEventAt).toISOString())
        return ids.join() === expected.activeCustomers.join() && current ? ids : undefined
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'a score as of the last event for every active customer, none for the churned' },
    )
    expect(scored).toEqual(expected.activeCustomers)
    for (const service of services()) expect(service.isAlive(), describeExit(service)).toBe(true)
  })
})

function splitInto<T>(items: readonly T[], n: number): T[][] {
  const size = Math.ceil(items.length / n)
  return Array.from({ length: n }, (_, i) => items.slice(i * size, (i + 1) * size))
}

/**
 * Registers and activates a model for the scorer, trained on a small simulated business in a
 * scratch database (the stream under test is too short to train on) and copied over.
 */
async function registerModel(infra: PrivateInfra, pool: Pool): Promise<void> {
  await pool.query('CREATE DATABASE chaos_outage_model')
  const scratch = createPool({ connectionString: infra.postgres.url('chaos_outage_model'), max: 2 })
  try {
    await migrate(scratch)
    const simulation = simulateBusiness({ customers: 120, months: 14, seed: 8, eventsPerActiveUserPerDay: 0.5 })
    await backfillLines(
      scratch,
      [...simulation.events()].map((e) => JSON.stringify(e)),
    )
    await selectTensorflowBackend()
    await trainAndRegister(scratch, { asOf: '2026-02-01T00:00:00.000Z', kind: 'logistic', activate: true })
    const model = await getActiveModel(scratch)
    if (!model) throw new Error('training registered no active model')
    await insertModel(pool, { ...model, trainedAsOf: model.trainedAsOf })
    await activateModel(pool, model.version)
  } finally {
    await scratch.end()
  }
}
