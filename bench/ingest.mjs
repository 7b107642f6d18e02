// `npm run bench -- ingest [--events N] [--customers C] [--runs R] [--memory-customers C2] [--cpu-prof]`
//
// Per run: a fresh database and topic prefix; N simulated events produced to the real broker; then
// (a) a raw kafkajs consumer that reads both input topics and discards (messages/s, first to last
// message) and (b) the feature builder, in a process of its own, from start until
// `consumer_offsets` covers every message, i.e. committed PostgreSQL state (events/s, first to last
// commit, plus wall time from start), with its peak RSS sampled every 250 ms. Each phase runs in
// its own child process, so producing never pollutes the builder's RSS. An extra run with fewer
// customers and the same number of events shows whether memory grows with customers.
// Writes bench/results/ingest.json and prints a table.
import { fork, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { databaseUrlFor, fmt, kafkaAndPostgres, machineJiffies, median, ROOT, round, say } from './_lib.mjs'

const SELF = fileURLToPath(import.meta.url)
const RESULTS = join(ROOT, 'bench', 'results', 'ingest.json')
const PROFILES = join(os.tmpdir(), 'churnwatch-bench-profiles')
const PROGRESS_MS = 2_000
const RSS_SAMPLE_MS = 250
const CLOCK_TICKS = 100 // USER_HZ on Linux
const STALL_MS = 120_000
// The simulated window: about two weeks of a live stream, so ~half the customers renew (invoice) in it.
const WINDOW_DAYS = 14

const mb = (bytes) => Math.round((bytes / 1_048_576) * 10) / 10

// ---------------------------------------------------------------------------------------------
// orchestrator

function parseArgs(argv) {
  const options = { events: 1_000_000, customers: 50_000, runs: 3, memoryCustomers: 10_000, seed: 42, cpuProf: false, keep: false, builder: {}, builderNodeOptions: [] }
  const numeric = { '--events': 'events', '--customers': 'customers', '--runs': 'runs', '--memory-customers': 'memoryCustomers', '--seed': 'seed' }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2)
    if (flag in numeric) {
      const value = Number((inline ?? argv[++i] ?? '').replaceAll('_', ''))
      if (!Number.isSafeInteger(value) || value < 0) fail(`${flag} needs a non-negative integer`)
      options[numeric[flag]] = value
    } else if (flag === '--cpu-prof') options.cpuProf = true
    else if (flag === '--keep') options.keep = true
    else if (flag === '--builder') options.builder = JSON.parse(inline ?? argv[++i] ?? '{}')
    else if (flag === '--builder-node-options') options.builderNodeOptions = (inline ?? argv[++i] ?? '').split(/\s+/).filter(Boolean)
    else if (flag === '--help' || flag === '-h') {
      say(
        'usage: npm run bench -- ingest [--events 1000000] [--customers 50000] [--runs 3] [--memory-customers 10000]\n' +
          '                               [--seed 42] [--cpu-prof] [--keep]\n' +
          '  --memory-customers C2  one extra run with C2 customers and the same events (0 skips it)\n' +
          `  --cpu-prof             write a V8 CPU profile of each feature-builder run to ${PROFILES}\n` +
          '  --keep                 keep the databases and topics (for inspection)\n' +
          '  --builder JSON         extra createFeatureBuilder options, e.g. \'{"partitionsConsumedConcurrently":4}\'\n' +
          '  --builder-node-options node flags for the feature-builder process, e.g. "--max-semi-space-size=32"',
      )
      process.exit(0)
    } else fail(`unknown option ${argv[i]} (try --help)`)
  }
  if (options.events < 1 || options.customers < 1 || options.runs < 1) fail('--events, --customers and --runs must be >= 1')
  return options
}

function fail(message) {
  process.stderr.write(`bench ingest: ${message}\n`)
  process.exit(2)
}

/** Builds the workspace packages this bench imports when any dist is missing. */
function ensureBuilt() {
  const needed = [
    'services/feature-builder',
    'packages/ingest',
    'packages/simulator',
    'packages/kafka',
    'packages/storage',
    'packages/features',
    'packages/observability',
    'packages/contract',
    'packages/config',
  ]
  const missing = needed.filter((p) => !existsSync(join(ROOT, p, 'dist')))
  if (missing.length === 0) return
  say(`bench ingest: no dist in ${missing.join(', ')}; building (npx turbo run build)`)
  const result = spawnSync(
    'npx',
    ['turbo', 'run', 'build', '--filter=@churnwatch/feature-builder...', '--filter=@churnwatch/simulator', '--output-logs=errors-only'],
    { cwd: ROOT, stdio: 'inherit' },
  )
  if (result.status !== 0) fail('build failed; run `npx turbo run build` and try again')
}

/** Kafka and PostgreSQL as `npm run infra:up` (or the environment) gives them; both are needed. */
function locateInfra() {
  try {
    return kafkaAndPostgres()
  } catch (err) {
    fail(err.message)
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  ensureBuilt()
  const infra = locateInfra()
  const { default: pg } = await import('pg')
  const { ensureFeatureBuilderTopics, featureBuilderTopics } = await import('@churnwatch/feature-builder')
  const { countTopicMessages, createKafka, deleteTopicsWithPrefix } = await import('@churnwatch/kafka')
  const { createLogger } = await import('@churnwatch/observability')
  const { createPool, migrate } = await import('@churnwatch/storage')
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-ingest', log: createLogger({ service: 'bench-ingest', level: 'warn' }) })
  const adminDb = new pg.Client({ connectionString: infra.databaseUrl })
  await adminDb.connect()
  const { rows: versionRows } = await adminDb.query('SHOW server_version')

  const plan = [
    ...Array.from({ length: options.runs }, (_, i) => ({ label: `run ${i + 1}/${options.runs}`, customers: options.customers, kind: 'main' })),
    ...(options.memoryCustomers > 0 && options.memoryCustomers !== options.customers
      ? [{ label: `memory check (${fmt(options.memoryCustomers)} customers)`, customers: options.memoryCustomers, kind: 'memory' }]
      : []),
  ]
  const stamp = `${Date.now().toString(36)}${process.pid.toString(36)}`
  const created = { databases: [], topics: [] }
  let interrupted = false
  const cleanup = async () => {
    if (options.keep) {
      say(`kept databases ${created.databases.join(', ')} and topics ${created.topics.join(', ')}`)
      return
    }
    for (const database of created.databases.splice(0)) {
      await adminDb.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((err) => say(`drop ${database} failed: ${err.message}`))
    }
    // Every topic this bench created starts with its stamp.
    if (created.topics.splice(0).length > 0) await deleteTopicsWithPrefix(kafka, `bench-ingest-${stamp}-`).catch((err) => say(`deleting topics failed: ${err.message}`))
  }
  // On Ctrl-C the running phase is stopped; the finally block below then drops what was created.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      interrupted = true
      say(`\n${signal}: stopping, then cleaning up`)
      running?.kill('SIGTERM')
    })
  }
  say(
    `bench ingest: ${fmt(options.events)} events, ${fmt(options.customers)} customers, ${options.runs} run(s)` +
      `${options.memoryCustomers ? ` + memory check at ${fmt(options.memoryCustomers)} customers` : ''}; ` +
      `${os.cpus().length} cores, node ${process.version}, PostgreSQL ${versionRows[0].server_version}, brokers ${infra.brokers.join(',')}`,
  )
  const runs = []
  try {
    for (const [index, step] of plan.entries()) {
      if (interrupted) break
      say(`\n== ${step.label}`)
      const database = `cw_bench_ingest_${stamp}_${index}`
      const prefix = `bench-ingest-${stamp}-${index}.`
      const topics = featureBuilderTopics(prefix)
      await adminDb.query(`CREATE DATABASE "${database}"`)
      created.databases.push(database)
      const databaseUrl = databaseUrlFor(infra.databaseUrl, database)
      const pool = createPool({ connectionString: databaseUrl, max: 1 })
      // DROP DATABASE ... WITH (FORCE) may reach a connection the ended pool is still closing.
      pool.on('error', () => undefined)
      await migrate(pool)
      created.topics.push(...Object.values(topics))
      await ensureFeatureBuilderTopics(kafka, topics)

      const produced = await child('produce', {
        brokers: infra.brokers,
        topics,
        events: options.events,
        customers: step.customers,
        seed: options.seed,
      })
      const raw = await child('raw', { brokers: infra.brokers, topics, expected: produced.messages, groupId: `bench-raw-${stamp}-${index}` })
      const built = await child(
        'builder',
        { brokers: infra.brokers, databaseUrl, prefix, expected: produced.messages, groupId: `bench-fb-${stamp}-${index}`, builder: options.builder },
        [
          ...options.builderNodeOptions,
          ...(options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=feature-builder-${stamp}-${index}.cpuprofile`] : []),
        ],
      )
      const check = await verify(pool, produced)
      const announced = await countTopicMessages(kafka, topics.featuresChanged)
      await pool.end()
      const run = {
        kind: step.kind,
        customers: step.customers,
        distinctCustomers: produced.distinctCustomers,
        events: produced.messages,
        usageEvents: produced.usage,
        billingEvents: produced.billing,
        billingShare: round(produced.billing / produced.messages, 4),
        eventDays: produced.days,
        avgValueBytes: Math.round(produced.bytes / produced.messages),
        producePerSec: Math.round(produced.perSec),
        rawConsumePerSec: Math.round(raw.perSec),
        ingestPerSec: Math.round(built.perSec),
        ingestWallPerSec: Math.round(built.wallPerSec),
        ratio: round(built.perSec / raw.perSec, 3),
        ingestSeconds: round(built.seconds, 1),
        startupSeconds: round(built.startupSeconds, 1),
        peakRssMb: built.peakRssMb,
        baselineRssMb: built.baselineRssMb,
        peakHeapUsedMb: built.peakHeapUsedMb,
        peakExternalMb: built.peakExternalMb,
        announcements: announced,
        builderCpuSeconds: built.cpuSeconds,
        serverCpuSeconds: built.serverCpuSeconds,
        // CPU per event of each party, and what the rest of the (shared) machine used meanwhile.
        cpuMicrosPerEvent: {
          builder: Math.round((built.cpuSeconds * 1e6) / produced.messages),
          postgres: Math.round(((built.serverCpuSeconds.pgBackends + built.serverCpuSeconds.pgBackground) * 1e6) / produced.messages),
          kafkaBroker: Math.round((built.serverCpuSeconds.kafkaBroker * 1e6) / produced.messages),
        },
        otherCpuSeconds: round(
          Math.max(0, built.machineCpuSeconds - built.cpuSeconds - Object.values(built.serverCpuSeconds).reduce((a, b) => a + b, 0)),
          1,
        ),
        machineBusyShare: built.machineBusyShare,
        verified: check,
      }
      runs.push(run)
      say(
        `   raw ${fmt(run.rawConsumePerSec)}/s, feature builder ${fmt(run.ingestPerSec)}/s (ratio ${run.ratio}), ` +
          `peak RSS ${run.peakRssMb} MB, state ${check.ok ? 'verified' : `MISMATCH ${JSON.stringify(check)}`}`,
      )
      await cleanup()
    }
  } finally {
    await cleanup()
    await adminDb.end()
  }
  if (interrupted) process.exit(130)
  if (runs.length === 0) process.exit(1)

  const main = runs.filter((r) => r.kind === 'main')
  const memory = runs.find((r) => r.kind === 'memory')
  const rawConsumePerSec = Math.round(median(main.map((r) => r.rawConsumePerSec)))
  const ingestPerSec = Math.round(median(main.map((r) => r.ingestPerSec)))
  const peakRssMb = Math.max(...main.map((r) => r.peakRssMb))
  const result = {
    events: options.events,
    customers: options.customers,
    rawConsumePerSec,
    ingestPerSec,
    ratio: round(ingestPerSec / rawConsumePerSec, 3),
    peakRssMb,
    ingestWallPerSec: Math.round(median(main.map((r) => r.ingestWallPerSec))),
    medianPeakRssMb: median(main.map((r) => r.peakRssMb)),
    memoryCheck: memory
      ? {
          customers: [memory.customers, options.customers],
          peakRssMb: [memory.peakRssMb, median(main.map((r) => r.peakRssMb))],
          note: 'same number of events; peak RSS of the feature-builder process (median of the main runs for the larger count)',
        }
      : null,
    cpuMicrosPerEvent: {
      builder: median(main.map((r) => r.cpuMicrosPerEvent.builder)),
      postgres: median(main.map((r) => r.cpuMicrosPerEvent.postgres)),
      kafkaBroker: median(main.map((r) => r.cpuMicrosPerEvent.kafkaBroker)),
    },
    otherCpuSeconds: median(main.map((r) => r.otherCpuSeconds)),
    target: { ratio: 0.5, ingestPerSec: 20_000 },
    meetsTarget: ingestPerSec >= 20_000 && ingestPerSec / rawConsumePerSec >= 0.5,
    runs,
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 1e9),
      node: process.version,
      postgres: versionRows[0].server_version,
      kafkaBrokers: infra.brokers.length,
      kafkajs: readPackageVersion('kafkajs'),
    },
    measuredAt: new Date().toISOString(),
    command: `npm run bench -- ingest ${process.argv.slice(2).join(' ')}`.trim(),
  }
  mkdirSync(dirname(RESULTS), { recursive: true })
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`)
  printTable(result)
  say(`\nwrote ${RESULTS.replace(ROOT, '')}`)
  if (options.cpuProf) say(`CPU profiles of the feature builder in ${PROFILES} (open in Chrome DevTools or speedscope)`)
}

function readPackageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return 'unknown'
  }
}


/** Every produced event is stored once and counted once in the customers table. */
async function verify(pool, produced) {
  const { rows } = await pool.query(`
    SELECT (SELECT count(*) FROM events)::bigint AS events,
           (SELECT coalesce(sum(usage_events), 0) FROM customers)::bigint AS usage,
           (SELECT count(*) FROM billing_events)::bigint AS billing,
           (SELECT coalesce(sum(event_count), 0) FROM daily_activity)::bigint AS bucketed`)
  const r = Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]))
  const ok = r.events === produced.messages && r.usage === produced.usage && r.billing === produced.billing && r.bucketed === produced.usage
  return { ok, events: r.events, usage: r.usage, billing: r.billing, bucketed: r.bucketed }
}

function printTable(result) {
  const header = ['run', 'customers', 'events', 'billing %', 'raw consume/s', 'ingest/s', 'ratio', 'wall ingest/s', 'peak RSS MB', 'CPU s: builder', 'pg', 'kafka', 'other']
  const rows = result.runs.map((r, i) => [
    r.kind === 'main' ? String(i + 1) : 'memory',
    fmt(r.customers),
    fmt(r.events),
    (r.billingShare * 100).toFixed(1),
    fmt(r.rawConsumePerSec),
    fmt(r.ingestPerSec),
    r.ratio.toFixed(2),
    fmt(r.ingestWallPerSec),
    String(r.peakRssMb),
    String(r.builderCpuSeconds),
    String(round(r.serverCpuSeconds.pgBackends + r.serverCpuSeconds.pgBackground, 1)),
    String(r.serverCpuSeconds.kafkaBroker),
    String(r.otherCpuSeconds),
  ])
  rows.push([
    'median',
    fmt(result.customers),
    fmt(result.events),
    '',
    fmt(result.rawConsumePerSec),
    fmt(result.ingestPerSec),
    result.ratio.toFixed(2),
    fmt(result.ingestWallPerSec),
    `${result.peakRssMb} (max)`,
    '',
    '',
    '',
    '',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  say(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`)
  for (const r of rows) say(line(r))
  const cpu = result.cpuMicrosPerEvent
  say(
    `\nCPU per event (median): feature builder ${cpu.builder} µs, PostgreSQL ${cpu.postgres} µs, Kafka broker ${cpu.kafkaBroker} µs; ` +
      `other work on the machine used ${result.otherCpuSeconds} CPU-s per run (median)`,
  )
  say(
    `target: ingest >= 20,000 events/s and ratio >= 0.5 -> ${result.meetsTarget ? 'met' : 'NOT met'}` +
      (result.memoryCheck
        ? `; peak RSS ${result.memoryCheck.peakRssMb[0]} MB at ${fmt(result.memoryCheck.customers[0])} customers vs ` +
          `${result.memoryCheck.peakRssMb[1]} MB at ${fmt(result.memoryCheck.customers[1])}`
        : ''),
  )
}

let running = null

/** Runs one phase in a child process (this file with --child ROLE) and returns what it reports. */
function child(role, input, execArgv = []) {
  return new Promise((resolve, reject) => {
    if (execArgv.length > 0) mkdirSync(PROFILES, { recursive: true })
    const proc = fork(SELF, ['--child', role], { stdio: 'inherit', execArgv, serialization: 'advanced' })
    running = proc
    let result
    proc.on('message', (m) => {
      if (m.type === 'ready') proc.send(input)
      else if (m.type === 'result') result = m.result
    })
    proc.on('error', reject)
    proc.on('exit', (code, signal) => {
      running = null
      if (code === 0 && result) resolve(result)
      else reject(new Error(`${role} phase exited with ${signal ?? code}`))
    })
  })
}

// ---------------------------------------------------------------------------------------------
// child processes

async function runChild(role) {
  // Ctrl-C reaches the whole process group: the orchestrator stops this phase with SIGTERM.
  process.on('SIGINT', () => undefined)
  const input = await new Promise((resolve) => {
    process.once('message', resolve)
    process.send({ type: 'ready' })
  })
  const phases = { produce, raw: rawConsume, builder: runBuilder }
  const result = await phases[role](input)
  await new Promise((resolve) => process.send({ type: 'result', result }, resolve))
  process.exit(0)
}

function progress(label, total) {
  const started = Date.now()
  let last = { at: started, done: 0 }
  return {
    tick(done, extra = '') {
      const now = Date.now()
      if (now - last.at < PROGRESS_MS) return
      const rate = ((done - last.done) / (now - last.at)) * 1000
      say(`   ${label}: ${fmt(done)} / ${fmt(total)} (${fmt(rate)}/s now, ${((now - started) / 1000).toFixed(0)} s)${extra}`)
      last = { at: now, done }
    },
  }
}

/**
 * Simulated events of a live stream: every customer already subscribed (their past sign-ups are not
 * replayed), WINDOW_DAYS of usage and billing in event-time order. The usage rate is calibrated on
 * a small pilot so the first `events` events span about that window.
 */
async function* simulatedEvents(events, customers, seed) {
  const { simulateBusiness } = await import('@churnwatch/simulator')
  const options = { months: 1, seed, initialCustomerShare: 1 }
  const pilotCustomers = Math.min(customers, 2_000)
  const pilot = simulateBusiness({ ...options, customers: pilotCustomers, eventsPerActiveUserPerDay: 1 })
  const windowEnd = new Date(Date.parse(pilot.start) + WINDOW_DAYS * 86_400_000).toISOString()
  let pilotEvents = 0
  for (const e of pilot.events()) {
    if (e.occurredAt >= windowEnd) break
    if (e.occurredAt >= pilot.start && e.kind === 'usage') pilotEvents++
  }
  const rate = events / ((pilotEvents / pilotCustomers) * customers)
  const sim = simulateBusiness({ ...options, customers, eventsPerActiveUserPerDay: rate })
  let n = 0
  for (const e of sim.events()) {
    if (e.occurredAt < sim.start) continue // back-dated sign-ups of customers that existed before the window
    yield e
    if (++n >= events) return
  }
  throw new Error(`the simulation ran out after ${n} events; lower --events or raise --customers`)
}

async function produce({ brokers, topics, events, customers, seed }) {
  const { Kafka, Partitioners, CompressionTypes, logLevel } = await import('kafkajs')
  const kafka = new Kafka({ clientId: 'bench-ingest-producer', brokers, logLevel: logLevel.WARN })
  // murmur2, like the service's publisher: a customer's events land on one partition.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  say(`   producing ${fmt(events)} events (${fmt(customers)} customers, ~${WINDOW_DAYS} days) to ${topics.usage} and ${topics.billing}`)
  const started = Date.now()
  const shown = progress('produce', events)
  const counts = { usage: 0, billing: 0, bytes: 0 }
  const seen = new Set()
  const days = new Set()
  const pending = { usage: [], billing: [] }
  const inFlight = new Set()
  const flush = async () => {
    const topicMessages = []
    for (const kind of ['usage', 'billing']) {
      if (pending[kind].length > 0) topicMessages.push({ topic: topics[kind], messages: pending[kind] })
      pending[kind] = []
    }
    if (topicMessages.length === 0) return
    const send = producer.sendBatch({ topicMessages, acks: -1, compression: CompressionTypes.None })
    inFlight.add(send)
    void send.finally(() => inFlight.delete(send))
    // A few batches in flight keep the broker busy while the next one is generated.
    if (inFlight.size >= 4) await Promise.race(inFlight)
  }
  let n = 0
  for await (const e of simulatedEvents(events, customers, seed)) {
    const value = JSON.stringify(e)
    pending[e.kind].push({ key: e.customerId, value })
    counts[e.kind]++
    counts.bytes += value.length
    seen.add(e.customerId)
    days.add(e.occurredAt.slice(0, 10))
    if (++n % 5_000 === 0) {
      await flush()
      shown.tick(n)
    }
  }
  await flush()
  await Promise.all(inFlight)
  await producer.disconnect()
  const seconds = (Date.now() - started) / 1000
  say(`   produced ${fmt(n)} events (${fmt(counts.billing)} billing, ${fmt(seen.size)} customers, ${days.size} days) in ${seconds.toFixed(1)} s`)
  return { messages: n, usage: counts.usage, billing: counts.billing, bytes: counts.bytes, distinctCustomers: seen.size, days: days.size, perSec: n / seconds }
}

/** A plain kafkajs consumer group that counts and discards: the ceiling the feature builder is compared with. */
async function rawConsume({ brokers, topics, expected, groupId }) {
  const { Kafka, logLevel } = await import('kafkajs')
  const kafka = new Kafka({ clientId: 'bench-ingest-raw', brokers, logLevel: logLevel.WARN })
  // kafkajs consumer defaults (maxBytesPerPartition 1 MiB, one partition batch at a time).
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false })
  await consumer.connect()
  await consumer.subscribe({ topics: [topics.usage, topics.billing], fromBeginning: true })
  const shown = progress('raw consume', expected)
  let count = 0
  let first = 0
  let last = 0
  const done = new Promise((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now()
        count += batch.messages.length
        last = performance.now()
        shown.tick(count)
        if (count >= expected) resolve()
      },
    })
  })
  await done
  await consumer.disconnect()
  const perSec = count / ((last - first) / 1000)
  say(`   raw consume: ${fmt(count)} messages in ${((last - first) / 1000).toFixed(1)} s = ${fmt(perSec)}/s`)
  return { messages: count, perSec }
}


/**
 * CPU seconds so far of the processes around the builder (Linux /proc; empty elsewhere): PostgreSQL
 * backends serving `database`, PostgreSQL's background processes and the Kafka broker (both shared
 * with anything else running on the machine).
 */
function serverCpu(database) {
  const totals = { pgBackends: 0, pgBackground: 0, kafkaBroker: 0 }
  let pids = []
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return totals
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      if (comm !== 'postgres' && comm !== 'java') continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (comm === 'java') {
        if (cmdline.includes('kafka.Kafka')) totals.kafkaBroker += seconds
      } else if (cmdline.includes(` ${database} `)) totals.pgBackends += seconds
      else if (/checkpointer|background writer|walwriter|autovacuum/.test(cmdline)) totals.pgBackground += seconds
    } catch {
      // the process ended while we looked
    }
  }
  return totals
}

async function runBuilder({ brokers, databaseUrl, prefix, expected, groupId, builder: overrides }) {
  const { createFeatureBuilder } = await import('@churnwatch/feature-builder')
  const { createKafka } = await import('@churnwatch/kafka')
  const { createLogger, createMetricsRegistry } = await import('@churnwatch/observability')
  const { createPool } = await import('@churnwatch/storage')
  const { default: pg } = await import('pg')
  let peakRss = process.memoryUsage().rss
  let peakHeapUsed = 0
  let peakExternal = 0
  const baselineRss = peakRss
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed)
    peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers)
  }, RSS_SAMPLE_MS)

  // Wired as services/feature-builder/src/main.ts does, with the service's defaults.
  const log = createLogger({ service: 'feature-builder', level: 'warn' })
  const registry = createMetricsRegistry({ service: 'feature-builder' })
  const pool = createPool({ connectionString: databaseUrl, applicationName: 'churnwatch-feature-builder' })
  const kafka = createKafka({ brokers, clientId: 'churnwatch-feature-builder', log })
  let fatal = null
  const builder = createFeatureBuilder({
    pool,
    kafka,
    log,
    registry,
    groupId,
    topicPrefix: prefix,
    onFatal: (error) => {
      fatal = error
    },
    ...overrides,
  })
  const watcher = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-ingest-watch' })
  await watcher.connect()
  const folded = async () => {
    const { rows } = await watcher.query(
      'SELECT coalesce(sum(greatest(next_offset, 0)), 0)::bigint AS n FROM consumer_offsets WHERE group_id = $1',
      [groupId],
    )
    return Number(rows[0].n)
  }

  const shown = progress('feature builder', expected)
  const cpuBefore = process.cpuUsage()
  const machineBefore = machineJiffies()
  const database = new URL(databaseUrl).pathname.slice(1)
  const serversBefore = serverCpu(database)
  const started = performance.now()
  await builder.start()
  let first = null // the first commit seen: { at, n }
  let n = 0
  let progressed = { at: performance.now(), n: 0 }
  while (n < expected) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    n = await folded()
    const now = performance.now()
    if (first === null && n > 0) first = { at: now, n }
    if (n > progressed.n) progressed = { at: now, n }
    if (fatal) throw new Error(`the feature builder stopped: ${fatal.message ?? String(fatal)}`)
    if (now - progressed.at > STALL_MS) throw new Error(`the feature builder made no progress for ${STALL_MS / 1000} s at ${n} of ${expected}`)
    shown.tick(n, `, RSS ${mb(process.memoryUsage().rss)} MB`)
  }
  const ended = performance.now()
  const cpu = process.cpuUsage(cpuBefore)
  const machine = machineJiffies()
  const servers = serverCpu(database)
  await builder.stop()
  clearInterval(sampler)
  await watcher.end()
  await pool.end()
  const seconds = (ended - started) / 1000
  // Sustained: from the first commit to the last, so group join and the first fetch are not counted.
  const perSec = (expected - first.n) / ((ended - first.at) / 1000)
  const result = {
    seconds,
    startupSeconds: (first.at - started) / 1000,
    perSec,
    wallPerSec: expected / seconds,
    peakRssMb: mb(peakRss),
    baselineRssMb: mb(baselineRss),
    peakHeapUsedMb: mb(peakHeapUsed),
    peakExternalMb: mb(peakExternal),
    cpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 10) / 10,
    serverCpuSeconds: Object.fromEntries(Object.entries(servers).map(([k, v]) => [k, round(v - serversBefore[k], 1)])),
    machineBusyShare: machine.total > machineBefore.total ? round((machine.busy - machineBefore.busy) / (machine.total - machineBefore.total), 2) : null,
    machineCpuSeconds: round((machine.busy - machineBefore.busy) / CLOCK_TICKS, 1),
  }
  say(`   feature builder: ${fmt(expected)} events committed in ${seconds.toFixed(1)} s = ${fmt(perSec)}/s sustained, peak RSS ${result.peakRssMb} MB`)
  return result
}

try {
  if (process.argv[2] === '--child') await runChild(process.argv[3])
  else await main()
} catch (err) {
  process.stderr.write(`bench ingest: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
