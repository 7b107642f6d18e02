// `npm run bench -- soak [--minutes 10] [--events-per-sec 800] [--reads-per-sec 200] [--customers 1000] [--sample-sec 5] [--warmup-sec 60]`
//
// Soak: the whole system (apps/all-in-one: feature builder, scorer, webhook dispatcher and API, in
// a child process of its own so that its RSS is its own) over a fresh database with a trained
// model, fed usage events at a steady rate while the API serves a steady open-loop read load
// (GET /v1/customers/{id}/risk, and the ranked list GET /v1/customers). Every --sample-sec: the
// child's RSS, the feature builder's lag (Kafka end offsets minus the positions it stores in
// PostgreSQL), API p99 over the window. At the end, "bounded" verdicts with the run's own baselines:
// RSS at the end relative to RSS after the warm-up, and lag relative to the events of one sample.
// Writes bench/results/soak.json. Not part of CI: the default run takes 10 minutes plus set-up.
// Flags may also come from the environment: SOAK_MINUTES, SOAK_EVENTS_PER_SEC, SOAK_READS_PER_SEC.
import { fork } from 'node:child_process'
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { infraEndpoints, median, parseFlags, round, say, writeResult, createTempDatabase, fmt } from './_lib.mjs'

const SELF = fileURLToPath(import.meta.url)
const FEATURE_BUILDER_GROUP = 'churnwatch-feature-builder' // the group the child gives startAllInOne's feature builder
const DAY = 86_400_000
/** Verdict thresholds (written to the results with the figures). */
const LIMITS = { rssRatioMax: 1.3, rssSlopeLastHalfMbPerMinMax: 5, maxLagPerSampleEventsMax: 2, endLagPerSampleEventsMax: 1, drainSecMax: 30, rssJudgedFromMinutes: 5 }

if (process.argv[2] === '--child') await child()
else await parent()

/** The system under test: startAllInOne with its configuration from the environment, reporting its URL. */
async function child() {
  const { startAllInOne } = await import('@churnwatch/all-in-one')
  const { createLogger } = await import('@churnwatch/observability')
  const env = process.env
  const log = createLogger({ service: 'churnwatch-soak', level: env.LOG_LEVEL ?? 'warn' })
  const system = await startAllInOne(
    {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS.split(','),
      KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
      FEATURE_BUILDER_GROUP_ID: FEATURE_BUILDER_GROUP,
      SCORER_GROUP_ID: 'churnwatch-scorer',
      HOST: '127.0.0.1',
      PORT: 0,
      FEATURE_BUILDER_HTTP_PORT: 0,
      SCORER_HTTP_PORT: 0,
      SCORER_CLOCK: 'wall',
      SWEEP_INTERVAL_MS: 60_000,
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    },
    log,
  )
  process.send({ url: system.url })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await system.stop()
    process.exit(0)
  }
  process.on('message', (message) => {
    if (message === 'stop') void stop()
  })
  // The parent is gone (killed, crashed): do not linger.
  process.on('disconnect', () => void stop())
}

async function parent() {
  const argv = process.argv.slice(2)
  const env = process.env
  const options = parseFlags(
    argv,
    {
      minutes: Number(env.SOAK_MINUTES ?? 10),
      eventsPerSec: Number(env.SOAK_EVENTS_PER_SEC ?? 800),
      readsPerSec: Number(env.SOAK_READS_PER_SEC ?? 200),
      customers: 1_000,
      sampleSec: 5,
      warmupSec: 60,
    },
    'usage: npm run bench -- soak [--minutes 10] [--events-per-sec 800] [--reads-per-sec 200] [--customers 1000] [--sample-sec 5] [--warmup-sec 60]',
  )
  // A short run keeps a proportionate warm-up (at most a fifth of it).
  const warmupSec = Math.min(options.warmupSec, (options.minutes * 60) / 5)
  const { databaseUrl, kafkaBrokers } = infraEndpoints()
  if (kafkaBrokers.length === 0) throw new Error('no Kafka: run `npm run infra:up` or set KAFKA_BROKERS')

  const { backfillLines } = await import('@churnwatch/ingest')
  const { createKafka, createPublisher, deleteTopicsWithPrefix, fetchEndOffsetsOfTopics } = await import('@churnwatch/kafka')
  const { createLogger } = await import('@churnwatch/observability')
  const { simulateBusiness } = await import('@churnwatch/simulator')
  const { createApiKey, createPool, migrate, readPartitionOffsets } = await import('@churnwatch/storage')
  const { selectTensorflowBackend, trainAndRegister } = await import('@churnwatch/training')

  const db = await createTempDatabase(databaseUrl, 'cw_bench_soak')
  const pool = createPool({ connectionString: db.url, max: 4 })
  const log = createLogger({ service: 'bench-soak', level: 'warn' })
  const kafka = createKafka({ brokers: kafkaBrokers, clientId: 'bench-soak', log })
  const prefix = `bench.soak.${Date.now()}.`
  const usageTopic = `${prefix}churn.usage.v1`
  const billingTopic = `${prefix}churn.billing.v1`
  const cleanups = []
  let system
  try {
    await migrate(pool)
    // History up to now and a trained, active model, so the scorer does real work on every event.
    const start = new Date(Date.now() - 15 * 30 * DAY)
    start.setUTCHours(0, 0, 0, 0)
    start.setUTCDate(1)
    const simulation = simulateBusiness({ customers: options.customers, months: 15, seed: 1, eventsPerActiveUserPerDay: 0.25, start: start.toISOString() })
    const now = Date.now()
    const lines = [...simulation.events()].filter((e) => Date.parse(e.occurredAt) <= now).map((e) => JSON.stringify(e))
    say(`soak: backfilling ${fmt(lines.length)} events of ${fmt(options.customers)} customers, training a model`)
    await backfillLines(pool, lines)
    await selectTensorflowBackend('cpu')
    await trainAndRegister(pool, { asOf: new Date().toISOString(), kind: 'gbdt', activate: true })
    const active = (await pool.query(`SELECT customer_id FROM customers WHERE status = 'active' ORDER BY customer_id`)).rows.map((r) => r.customer_id)
    if (active.length === 0) throw new Error('the simulation left no active customer')
    // The API limits each key to 6,000 requests a minute: one read key per 50 reads/s keeps every key at half its budget.
    const keys = []
    for (let i = 0; i < Math.max(1, Math.ceil(options.readsPerSec / 50)); i++) keys.push((await createApiKey(pool, { name: `soak-${i}`, scopes: ['read'] })).key)

    // The system, in a child process.
    system = fork(SELF, ['--child'], {
      env: { ...env, DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers.join(','), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const exited = new Promise((resolve) => system.once('exit', resolve))
    cleanups.push(async () => {
      if (system.exitCode === null) {
        system.send('stop')
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))])
        if (system.exitCode === null) system.kill('SIGKILL')
      }
    })
    const url = await new Promise((resolve, reject) => {
      system.once('message', (m) => resolve(m.url))
      system.once('exit', (code) => reject(new Error(`the system exited with ${code} before it started`)))
    })
    // The scorer's first sweep scores every active customer; reads before that would be 404s.
    const scoredBy = Date.now() + 180_000
    let scored = 0
    while (Date.now() < scoredBy) {
      scored = Number((await pool.query('SELECT count(*) AS n FROM risk_scores')).rows[0].n)
      if (scored >= active.length * 0.95) break
      await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
    say(`soak: ${fmt(scored)} current scores (${fmt(active.length)} active customers)`)
    say(`soak: system up at ${url} (pid ${system.pid}); ${options.minutes} min at ${fmt(options.eventsPerSec)} events/s and ${fmt(options.readsPerSec)} reads/s, a sample every ${options.sampleSec} s`)

    const publisher = createPublisher(kafka)
    await publisher.connect()
    cleanups.push(() => publisher.disconnect())

    async function lag() {
      let total = 0n
      const ends = await fetchEndOffsetsOfTopics(kafka, [usageTopic, billingTopic]).catch(() => new Map())
      for (const [topic, partitions] of ends) {
        const positions = await readPartitionOffsets(pool, FEATURE_BUILDER_GROUP, topic)
        for (const [partition, end] of partitions) {
          const position = positions.get(partition) ?? 0n
          if (end > position) total += end - position
        }
      }
      return Number(total)
    }

    // Writes: usage events for random active customers, every 100 ms (a steady rate, not bursts).
    let produced = 0
    let produceErrors = 0
    let sequence = 0
    const produceStart = performance.now()
    const producer = setInterval(() => {
      // Whatever is due by now (timer drift does not lower the rate).
      const n = Math.floor(((performance.now() - produceStart) / 1000) * options.eventsPerSec) - sequence
      if (n <= 0) return
      const batch = Array.from({ length: n }, () => {
        sequence++
        const customerId = active[(sequence * 7919) % active.length]
        return { key: customerId, value: { eventId: `soak-${sequence}`, customerId, occurredAt: new Date().toISOString(), kind: 'usage', action: sequence % 5 === 0 ? 'report_exported' : 'login', quantity: 1, userId: `${customerId}-u${sequence % 3}` } }
      })
      publisher.publish(usageTopic, batch).then(
        () => (produced += batch.length),
        () => (produceErrors += batch.length),
      )
    }, 100)
    cleanups.unshift(async () => clearInterval(producer))

    // Reads: open loop at a steady rate; latency counts from when each request was due.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
    cleanups.push(async () => agent.destroy())
    const target = new URL(url)
    // Risk reads go to customers that have a score (a churned one has none: a 404 by design).
    const readable = (await pool.query('SELECT customer_id FROM risk_scores ORDER BY customer_id')).rows.map((r) => r.customer_id)
    if (readable.length === 0) throw new Error('no customer was scored within 3 minutes')
    let window = []
    let reads = 0
    let readErrors = 0
    let non2xx = 0
    const statuses = {}
    let readSequence = 0
    const readStart = performance.now()
    const readInterval = 1000 / options.readsPerSec
    let nextRead = readStart
    const reader = setInterval(() => {
      const nowMs = performance.now()
      while (nextRead <= nowMs) {
        const due = nextRead
        nextRead += readInterval
        readSequence++
        const path =
          readSequence % 5 === 0
            ? `/v1/customers?limit=50&sort=${readSequence % 2 ? 'probability' : 'revenueAtRisk'}`
            : `/v1/customers/${encodeURIComponent(readable[(readSequence * 104_729) % readable.length])}/risk`
        const req = http.request(
          { host: target.hostname, port: target.port, path, agent, headers: { authorization: `Bearer ${keys[readSequence % keys.length]}` } },
          (res) => {
            res.resume()
            res.on('end', () => {
              reads++
              statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
              if (res.statusCode >= 300) non2xx++
              window.push(performance.now() - due)
            })
          },
        )
        req.on('error', () => readErrors++)
        req.end()
      }
    }, 5)
    cleanups.unshift(async () => clearInterval(reader))

    // Samples.
    const samples = []
    const t0 = Date.now()
    // Whole sample windows, each due at a fixed time (no drift, no short last window).
    const sampleMs = options.sampleSec * 1000
    const sampleCount = Math.max(1, Math.round((options.minutes * 60_000) / sampleMs))
    let lastProduced = 0
    for (let i = 1; i <= sampleCount; i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + i * sampleMs - Date.now())))
      const latencies = window
      window = []
      const sample = {
        t: round((Date.now() - t0) / 1000, 1),
        rssMb: round(rssBytes(system.pid) / 2 ** 20, 1),
        lag: await lag(),
        produced,
        producedInSample: produced - lastProduced,
        reads: latencies.length,
        apiP50Ms: round(percentile(latencies, 50), 1),
        apiP99Ms: round(percentile(latencies, 99), 1),
      }
      lastProduced = produced
      samples.push(sample)
      say(
        `soak ${String(Math.round(sample.t)).padStart(4)} s: RSS ${sample.rssMb} MB, lag ${fmt(sample.lag)}, produced ${fmt(sample.producedInSample)} (${fmt(produced)} total), ` +
          `reads ${sample.reads} p50 ${sample.apiP50Ms} ms p99 ${sample.apiP99Ms} ms${produceErrors || readErrors || non2xx ? `, errors: produce ${produceErrors} read ${readErrors} non-2xx ${non2xx}` : ''}`,
      )
    }
    clearInterval(producer)
    clearInterval(reader)
    const lagAtEnd = samples.at(-1)?.lag ?? 0
    // How long the builder needs to catch up once the load stops.
    const drainStart = Date.now()
    let drained = await lag()
    while (drained > 0 && Date.now() - drainStart < 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      drained = await lag()
    }
    const drainSec = drained === 0 ? round((Date.now() - drainStart) / 1000, 1) : null

    const result = writeResult('soak', summarise(samples, { options, warmupSec, lagAtEnd, drainSec, drained, produced, produceErrors, reads, readErrors, non2xx, statuses }), argv)
    const v = result.verdicts
    say(
      `soak: RSS ${result.rss.afterWarmupMb} MB after warm-up -> ${result.rss.endMb} MB at the end (ratio ${result.rss.ratio}; slope ${result.rss.slopeFirstHalfMbPerMin} -> ${result.rss.slopeLastHalfMbPerMin} MB/min): ${v.rssBounded === null ? `not judged (runs under ${LIMITS.rssJudgedFromMinutes} min)` : v.rssBounded ? 'bounded' : 'NOT bounded'}`,
    )
    say(
      `soak: lag max ${fmt(result.lag.max)} (${result.lag.maxPerSampleEvents} x one sample's events), at the end ${fmt(result.lag.atEnd)} (${result.lag.endPerSampleEvents} x), drained in ${result.lag.drainSec ?? '>60'} s: ${v.lagBounded ? 'bounded' : 'NOT bounded'}`,
    )
    say(`soak: API p99 median ${result.api.p99MedianMs} ms, worst window ${result.api.p99MaxMs} ms over ${fmt(result.api.reads)} reads (${result.api.non2xx} non-2xx, ${result.api.errors} errors)`)
    say('wrote bench/results/soak.json')
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
    await pool.end().catch(() => undefined)
    await db.drop().catch(() => undefined)
    await deleteTopicsWithPrefix(kafka, prefix).catch(() => undefined)
  }
  process.exit(0)
}

/** The resident set size of a process, from /proc (Linux). */
function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN)
  return kb * 1024
}

function percentile(xs, p) {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

/** Least-squares slope of y over x (per unit of x); 0 with fewer than two points. */
function slope(points) {
  if (points.length < 2) return 0
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length
  const my = points.reduce((a, p) => a + p.y, 0) / points.length
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0)
  return sxx === 0 ? 0 : points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx
}

function summarise(samples, { options, warmupSec, lagAtEnd, drainSec, drained, produced, produceErrors, reads, readErrors, non2xx, statuses }) {
  const steady = samples.filter((s) => s.t >= warmupSec)
  const measured = steady.length >= 2 ? steady : samples
  const half = Math.floor(measured.length / 2)
  const points = (xs) => xs.map((s) => ({ x: s.t / 60, y: s.rssMb }))
  // Baseline: the median of the first three samples after the warm-up; end: the median of the last three.
  const afterWarmupMb = median(measured.slice(0, 3).map((s) => s.rssMb))
  const endMb = median(measured.slice(-3).map((s) => s.rssMb))
  const eventsPerSample = options.eventsPerSec * options.sampleSec
  const maxLag = Math.max(0, ...samples.map((s) => s.lag))
  const rss = {
    afterWarmupMb,
    endMb,
    maxMb: Math.max(...samples.map((s) => s.rssMb)),
    ratio: round(endMb / afterWarmupMb, 3),
    slopeFirstHalfMbPerMin: round(slope(points(measured.slice(0, half))), 2),
    slopeLastHalfMbPerMin: round(slope(points(measured.slice(half))), 2),
  }
  const lagSummary = {
    max: maxLag,
    maxPerSampleEvents: round(maxLag / eventsPerSample, 3),
    median: median(samples.map((s) => s.lag)),
    atEnd: lagAtEnd,
    endPerSampleEvents: round(lagAtEnd / eventsPerSample, 3),
    drainSec,
    remainingAfterDrain: drained,
  }
  const p99s = measured.map((s) => s.apiP99Ms).filter(Number.isFinite)
  return {
    parameters: { minutes: options.minutes, eventsPerSec: options.eventsPerSec, readsPerSec: options.readsPerSec, customers: options.customers, sampleSec: options.sampleSec, warmupSec },
    produced,
    producedPerSec: round(produced / (options.minutes * 60), 1),
    produceErrors,
    rss,
    lag: lagSummary,
    api: { reads, statuses, non2xx, errors: readErrors, p99MedianMs: round(median(p99s) ?? Number.NaN, 1), p99MaxMs: round(Math.max(...p99s), 1), p50MedianMs: round(median(measured.map((s) => s.apiP50Ms)) ?? Number.NaN, 1) },
    limits: LIMITS,
    verdicts: {
      // A few minutes are still the heap's growth phase: shorter runs report RSS figures without a verdict.
      rssBounded:
        options.minutes < LIMITS.rssJudgedFromMinutes ? null : rss.ratio <= LIMITS.rssRatioMax && rss.slopeLastHalfMbPerMin <= LIMITS.rssSlopeLastHalfMbPerMinMax,
      lagBounded:
        lagSummary.maxPerSampleEvents <= LIMITS.maxLagPerSampleEventsMax &&
        lagSummary.endPerSampleEvents <= LIMITS.endLagPerSampleEventsMax &&
        drainSec !== null &&
        drainSec <= LIMITS.drainSecMax,
      noErrors: produceErrors === 0 && readErrors === 0 && non2xx === 0,
    },
    samples,
  }
}
