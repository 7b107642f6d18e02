// `npm run bench -- latency [--customers 2000] [--samples 200] [--background-per-sec 500] [--runs 3]`
//
// End-to-end alert latency: a `subscription_canceled` event produced to churn.billing.v1 for an
// active customer, through the feature builder, the scorer (cancel_requested alert, written with
// its webhook outbox row in one transaction) and the webhook dispatcher, to a signed POST received
// by a local HTTP server. Measured while usage events stream in at a steady background rate.
// Everything runs on this machine: real Kafka, real PostgreSQL, real HTTP on 127.0.0.1.
// Writes bench/results/latency.json with p50/p95/p99 (medians over runs).
import { createServer } from 'node:http'
import { createFeatureBuilder } from '@churnwatch/feature-builder'
import { backfillLines } from '@churnwatch/ingest'
import { createKafka, createPublisher, deleteTopicsWithPrefix } from '@churnwatch/kafka'
import { createLogger, createMetricsRegistry } from '@churnwatch/observability'
import { createScorer } from '@churnwatch/scorer'
import { simulateBusiness } from '@churnwatch/simulator'
import { createEndpoint, createOutboxRelay, createPool, createWebhookStore, migrate } from '@churnwatch/storage'
import { selectTensorflowBackend, trainAndRegister } from '@churnwatch/training'
import { createWebhookDispatcher, generateSecret } from '@churnwatch/webhooks'
import { createTempDatabase, infraEndpoints, median, parseFlags, progressLine, say, writeResult } from './_lib.mjs'

const argv = process.argv.slice(2)
const options = parseFlags(
  argv,
  { customers: 2_000, samples: 200, backgroundPerSec: 500, runs: 3, intervalMs: 150 },
  'usage: npm run bench -- latency [--customers 2000] [--samples 200] [--background-per-sec 500] [--runs 3] [--interval-ms 150]',
)
const { databaseUrl, kafkaBrokers } = infraEndpoints()
if (kafkaBrokers.length === 0) throw new Error('no Kafka: run `npm run infra:up` or set KAFKA_BROKERS')
const DAY = 86_400_000
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

const runs = []
for (let run = 1; run <= options.runs; run++) runs.push(await measure(run))
const result = writeResult(
  'latency',
  {
    samples: options.samples,
    backgroundEventsPerSec: options.backgroundPerSec,
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p95Ms: median(runs.map((r) => r.p95Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    target: { p95Ms: 1000 },
    runs,
  },
  argv,
)
say(`produce -> webhook latency (median of ${runs.length} runs): p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms (target p95 < 1000 ms)`)
say('wrote bench/results/latency.json')
process.exit(0)

async function measure(run) {
  const db = await createTempDatabase(databaseUrl, 'cw_bench_latency')
  const pool = createPool({ connectionString: db.url, max: 12 })
  const log = createLogger({ service: 'bench-latency', level: 'warn' })
  const kafka = createKafka({ brokers: kafkaBrokers, clientId: `bench-latency-${run}`, log })
  const prefix = `bench.latency.${Date.now()}.`
  const received = new Map()
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const at = performance.now()
      try {
        const { data } = JSON.parse(body)
        if (data?.customerId && !received.has(data.customerId)) received.set(data.customerId, at)
      } catch {
        // not an alert: ignore
      }
      res.writeHead(204).end()
    })
  })
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const stops = []
  try {
    await migrate(pool)
    // History up to now, so the scorer's wall clock and the data agree.
    const start = new Date(Date.now() - 15 * 30 * DAY)
    start.setUTCHours(0, 0, 0, 0)
    start.setUTCDate(1)
    const simulation = simulateBusiness({ customers: options.customers, months: 15, seed: run, eventsPerActiveUserPerDay: 0.25, start: start.toISOString() })
    const now = Date.now()
    const lines = [...simulation.events()].filter((e) => Date.parse(e.occurredAt) <= now).map((e) => JSON.stringify(e))
    say(`run ${run}: backfilling ${lines.length} events of ${options.customers} customers`)
    await backfillLines(pool, lines)
    await selectTensorflowBackend('cpu')
    await trainAndRegister(pool, { asOf: new Date().toISOString(), kind: 'gbdt', activate: true })
    const active = (await pool.query(`SELECT customer_id FROM customers WHERE status = 'active' ORDER BY customer_id`)).rows.map((r) => r.customer_id)
    await createEndpoint(pool, { url: `http://127.0.0.1:${receiver.address().port}/hooks`, secret: generateSecret(), eventKinds: ['cancel_requested'] })

    const registry = createMetricsRegistry({ service: 'bench', defaultMetrics: false })
    const builder = createFeatureBuilder({ pool, kafka, log, registry, groupId: `${prefix}fb`, topicPrefix: prefix })
    await builder.start()
    stops.push(() => builder.stop())
    const publisher = createPublisher(kafka)
    await publisher.connect()
    const outbox = createOutboxRelay(pool, (topic, messages) => publisher.publish(topic, messages), (err) => log.warn({ err }, 'outbox relay failed'))
    const scorer = createScorer({
      pool, kafka, publisher, outbox, log, registry: createMetricsRegistry({ service: 'bench-scorer', defaultMetrics: false }),
      groupId: `${prefix}scorer`, topicPrefix: prefix, clock: 'wall', sweepIntervalMs: 3_600_000, modelPollIntervalMs: 3_600_000, materialDelta: 0.05,
    })
    await scorer.start()
    stops.push(() => scorer.stop())
    const dispatcher = createWebhookDispatcher({ store: createWebhookStore(pool), log, pollIntervalMs: 50, allowPrivateNetworks: true })
    await dispatcher.start()
    stops.push(() => dispatcher.stop())
    stops.push(async () => {
      await publisher.disconnect()
      await outbox.idle()
    })
    await waitUntil(() => builder.isReady() && scorer.isReady(), 60_000)
    const stages = new Map()
    if (process.env.BENCH_DEBUG) {
      // A debugging aid only: a plain kafkajs consumer (the root's devDependency, like the ingest bench's baseline).
      const { Kafka, logLevel } = await import('kafkajs')
      const probe = new Kafka({ clientId: `${prefix}probe`, brokers: kafka.brokers, logLevel: logLevel.ERROR }).consumer({ groupId: `${prefix}probe` })
      await probe.connect()
      await probe.subscribe({ topics: [`${prefix}churn.features-changed.v1`, `${prefix}churn.alerts.v1`], fromBeginning: true })
      await probe.run({ eachMessage: async ({ topic, message }) => {
        const id = message.key?.toString()
        const stage = topic.endsWith('features-changed.v1') ? 'fc' : 'alert'
        const entry = stages.get(id) ?? {}
        entry[stage] ??= performance.now()
        stages.set(id, entry)
      } })
      stops.unshift(() => probe.disconnect())
    }

    // Background: usage at a steady rate for random active customers.
    let backgroundSent = 0
    const background = setInterval(() => {
      const batch = Array.from({ length: Math.max(1, Math.round(options.backgroundPerSec / 10)) }, (_, i) => {
        // Background customers are not the measured ones, so every stage can be told apart.
        const pool = active.slice(options.samples)
        const customerId = pool[(backgroundSent + i * 7919) % pool.length]
        return { key: customerId, value: { eventId: `bg-${run}-${backgroundSent + i}`, customerId, occurredAt: new Date().toISOString(), kind: 'usage', action: 'login', quantity: 1, userId: `${customerId}-u1` } }
      })
      backgroundSent += batch.length
      void publisher.publish(`${prefix}churn.usage.v1`, batch).catch(() => undefined)
    }, 100)
    stops.unshift(async () => clearInterval(background))

    const sent = new Map()
    const show = progressLine(`run ${run}`)
    const targets = active.slice(0, Math.min(options.samples, active.length))
    for (const customerId of targets) {
      const event = { eventId: `cancel-${run}-${customerId}`, customerId, occurredAt: new Date().toISOString(), kind: 'billing', type: 'subscription_canceled', reason: 'too_expensive', voluntary: true }
      sent.set(customerId, performance.now())
      await publisher.publish(`${prefix}churn.billing.v1`, [{ key: customerId, value: event }])
      show(`${sent.size}/${targets.length} cancellations sent, ${received.size} webhooks received`)
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs))
    }
    await waitUntil(() => targets.every((id) => received.has(id)), 60_000).catch(() => undefined)
    const latencies = targets.filter((id) => received.has(id)).map((id) => received.get(id) - sent.get(id))
    if (process.env.BENCH_DEBUG) say(JSON.stringify(targets.map((id) => [Math.round((stages.get(id)?.fc ?? NaN) - sent.get(id)), Math.round((stages.get(id)?.alert ?? NaN) - sent.get(id)), Math.round(received.get(id) - sent.get(id))])))
    const summary = {
      run,
      samples: latencies.length,
      missing: targets.length - latencies.length,
      backgroundSent,
      p50Ms: Math.round(percentile(latencies, 50)),
      p95Ms: Math.round(percentile(latencies, 95)),
      p99Ms: Math.round(percentile(latencies, 99)),
      maxMs: Math.round(Math.max(...latencies)),
    }
    say(`run ${run}: p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms, p99 ${summary.p99Ms} ms (${summary.samples} samples, ${summary.missing} missing)`)
    return summary
  } finally {
    for (const stop of stops) await stop().catch(() => undefined)
    await new Promise((resolve) => receiver.close(resolve))
    await pool.end()
    await db.drop()
    await deleteTopicsWithPrefix(kafka, prefix).catch(() => undefined)
  }
}

async function waitUntil(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
