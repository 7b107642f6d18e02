// `npm run bench -- api [--customers N] [--runs R] [--duration S] [--warmup S] [--connections C] [--rate RPS] [--keep]`
//
// GET /v1/customers/{id}/risk of services/api over N scored customers (random ids, real PostgreSQL,
// API key auth, rate limiting, security headers, zod serialisation: the production app from
// buildApp) next to a bare Fastify route in the same run that answers a constant copy of a real
// risk document (same bytes: socket writes dominate a route this small). Each server runs in a
// child process of its own; autocannon drives both from this process, one after the other.
// The API runs as deployed, with its risk-document cache following risk_scores notifications (the
// share of reads it answered is reported); it is measured again while every score is rewritten once
// a minute (the scorer's default sweep), beside the bare route under the same sweep and with a paced
// 1,000 req/s run, and the same app with the cache off is measured beside it.
// Per run: max throughput of each (after a warm-up), then 1,000 req/s on the API for its p99 latency:
// paced open-loop requests (the headline) and autocannon's overallRate (bursty, reported beside it).
// Medians over the runs go to bench/results/api.json.
// Before the runs, the ranked list with two filters (issue 13: segment, plan, owner, band, renewal;
// both sorts) is timed at a few concurrent clients: p50/p95/p99 into the same file. `--list-only`
// seeds, times only that and writes bench/results/api-list.json.
import { fork, spawnSync } from 'node:child_process'
import http from 'node:http'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { databaseUrlFor, fmt, kafkaAndPostgres, machineJiffies, median, ROOT, round, say } from './_lib.mjs'

const SELF = fileURLToPath(import.meta.url)
const RESULTS = join(ROOT, 'bench', 'results', 'api.json')
const LIST_RESULTS = join(ROOT, 'bench', 'results', 'api-list.json')
const LIST_TARGET = { p95Ms: 200 }
const PROFILES = join(ROOT, 'bench', 'results', 'profiles')
const TARGET = { ratio: 0.5, p99MsAt1000: 10 }
const INITIAL_WARMUP_SEC = 10

const CLOCK_TICKS = 100 // USER_HZ on Linux

/** CPU seconds (user + system) used so far by each process; processes that are gone (or no /proc) are left out. */
function cpuByPid(pids) {
  const cpu = new Map()
  for (const pid of pids) {
    try {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS)
    } catch {
      // The process is gone or this is not Linux: nothing to count for it.
    }
  }
  return cpu
}

/** CPU seconds used between two readings by the processes alive at the second (new ones count whole). */
function cpuDelta(before, after) {
  let seconds = 0
  for (const [pid, now] of after) seconds += now - (before.get(pid) ?? 0)
  return seconds
}



/**
 * Open-loop load at a steady rate (wrk2's method): request i is due at start + i/rate whatever the
 * earlier ones are doing, and its latency counts from when it was due, so a stall shows up in the
 * percentiles instead of slowing the load down. autocannon's overallRate instead lets each
 * connection send its per-second quota back to back at the start of every second.
 */
async function pacedLoad({ port, rate, durationSec, headers, nextPath }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
  const total = Math.round(rate * durationSec)
  const intervalMs = 1000 / rate
  const latencies = new Float64Array(total)
  let errors = 0
  let non2xx = 0
  const start = performance.now()
  await new Promise((resolveAll) => {
    let sent = 0
    let done = 0
    const finish = () => {
      if (++done === total) resolveAll()
    }
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1)
      while (sent < due) {
        const i = sent++
        const intended = start + i * intervalMs
        const request = http.request({ host: '127.0.0.1', port, path: nextPath(), headers, agent }, (response) => {
          if (response.statusCode !== 200) non2xx++
          response.resume()
          response.on('end', () => {
            latencies[i] = performance.now() - intended
            finish()
          })
        })
        request.on('error', () => {
          errors++
          latencies[i] = Number.NaN
          finish()
        })
        request.end()
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()))
    }
    tick()
  })
  const elapsedSec = (performance.now() - start) / 1000
  agent.destroy()
  const sorted = [...latencies].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  const at = (q) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN, 2)
  return { reqPerSec: Math.round(total / elapsedSec), p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: round(sorted.at(-1) ?? Number.NaN, 2), non2xx, errors }
}

function parseArgs(argv) {
  const options = { customers: 100_000, runs: 3, duration: 12, warmup: 3, connections: 64, rate: 1_000, sweepSeconds: 60, keep: false, cpuProf: false, listOnly: false, listRequests: 2_000 }
  const numeric = { '--customers': 'customers', '--runs': 'runs', '--duration': 'duration', '--warmup': 'warmup', '--connections': 'connections', '--rate': 'rate', '--sweep-seconds': 'sweepSeconds', '--list-requests': 'listRequests' }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2)
    if (flag in numeric) {
      const value = Number((inline ?? argv[++i] ?? '').replaceAll('_', ''))
      if (!Number.isSafeInteger(value) || value < (flag === '--sweep-seconds' ? 0 : 1)) fail(`${flag} needs a ${flag === '--sweep-seconds' ? 'non-negative' : 'positive'} integer`)
      options[numeric[flag]] = value
    } else if (flag === '--keep') options.keep = true
    else if (flag === '--cpu-prof') options.cpuProf = true
    else if (flag === '--list-only') options.listOnly = true
    else if (flag === '--help' || flag === '-h') {
      say(
        'usage: npm run bench -- api [--customers 100000] [--runs 3] [--duration 12] [--warmup 3] [--connections 64] [--rate 1000] [--sweep-seconds 60] [--list-requests 2000] [--list-only] [--keep] [--cpu-prof]\n' +
          '  --list-only  time only the filtered ranked list (GET /v1/customers with two filters), into bench/results/api-list.json\n' +
          '  --sweep-seconds  rewrite every score once per this many seconds in the background, as the scorer\'s sweep does (0: off)\n' +
          '  --cpu-prof  write a V8 CPU profile of the API server to bench/results/profiles/',
      )
      process.exit(0)
    } else fail(`unknown option ${argv[i]} (try --help)`)
  }
  return options
}

function fail(message) {
  process.stderr.write(`bench api: ${message}\n`)
  process.exit(2)
}

/** Builds the API and the packages it imports when any dist is missing. */
function ensureBuilt() {
  const needed = ['services/api', 'packages/storage', 'packages/kafka', 'packages/observability', 'packages/contract', 'packages/features', 'packages/metrics', 'packages/webhooks']
  const missing = needed.filter((p) => !existsSync(join(ROOT, p, 'dist')))
  if (missing.length === 0) return
  say(`bench api: no dist in ${missing.join(', ')}; building (npx turbo run build)`)
  const result = spawnSync('npx', ['turbo', 'run', 'build', '--filter=@churnwatch/api...', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' })
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

// Scores shaped like the scorer's: every base feature, a few per-action counts, three drivers.
const SEED_SQL = `
INSERT INTO risk_scores (customer_id, probability, band, drivers, features, plan, mrr, revenue_at_risk, model_version,
                         as_of, scored_at, published_probability, published_band, change_seq, segment, owner_id, renewal_at)
SELECT id, p, band,
       jsonb_build_array(
         jsonb_build_object('feature', 'days_since_last_activity', 'value', silent, 'contribution', 0.91,
                            'sentence', 'No product usage in the last ' || silent || ' days'),
         jsonb_build_object('feature', 'failed_payments_90d', 'value', failed, 'contribution', 0.42,
                            'sentence', failed || ' failed payments in the last 90 days'),
         jsonb_build_object('feature', 'seat_utilization_30d', 'value', 0.35, 'contribution', 0.18,
                            'sentence', 'Only 35% of seats were used in the last 30 days')),
       jsonb_build_object(
         'tenure_days', 412.7731, 'days_since_last_activity', silent, 'events_7d', 3, 'events_14d', 9,
         'baseline_events_14d', 41.2, 'events_30d', 22, 'events_90d', 130, 'activity_trend_30d', -0.4512,
         'active_days_30d', 6, 'active_users_30d', 4, 'seats', 12, 'seat_utilization_30d', 0.3333, 'mrr', mrr,
         'mrr_change_90d', -1000, 'failed_payments_90d', failed, 'days_since_last_payment', 31.5,
         'cancellation_requested', 0, 'reactivations', 0, 'support_tickets_30d', 2, 'support_tickets_90d', 5,
         'action_30d:login', 14, 'action_30d:report_exported', 3, 'action_30d:api_call', 120,
         'action_30d:seat_added', 0, 'action_30d:support_ticket_opened', 2),
       plan, mrr, round(p * mrr), 'gbdt-bench-00000000', now(), now(), p, band, nextval('risk_score_seq'),
       segment, owner_id, renewal_at
FROM (
  SELECT 'cust-' || lpad(i::text, 6, '0') AS id, p, (2000 + (i % 40) * 250) AS mrr, (i % 45) AS silent, (i % 3) AS failed,
         CASE WHEN p >= 0.6 THEN 'high' WHEN p >= 0.3 THEN 'medium' ELSE 'low' END AS band,
         -- Issue 13's filters: 4 plans, segments 60/30/10 %, 50 owners, renewals spread over 400 days.
         (ARRAY['starter', 'pro', 'business', 'enterprise'])[1 + i % 4] AS plan,
         CASE WHEN i % 10 < 6 THEN 'smb' WHEN i % 10 < 9 THEN 'mid_market' ELSE 'enterprise' END AS segment,
         'owner-' || (i % 50) AS owner_id,
         now() + make_interval(days => (i * 7919) % 400) AS renewal_at
  FROM (SELECT i, round(random()::numeric, 6)::float8 AS p FROM generate_series(1, $1::int) i) r
) s`

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const loadAverageAtStart = os.loadavg().map((x) => round(x, 2))
  ensureBuilt()
  const infra = locateInfra()
  const { default: pg } = await import('pg')
  const { default: autocannon } = await import('autocannon')
  const { createPool, migrate, createApiKey } = await import('@churnwatch/storage')
  const adminDb = new pg.Client({ connectionString: infra.databaseUrl })
  await adminDb.connect()
  const { rows: versionRows } = await adminDb.query('SHOW server_version')
  const database = `cw_bench_api_${Date.now().toString(36)}${process.pid.toString(36)}`
  const children = []
  const cleanups = []
  let cleaned = false
  const cleanup = async () => {
    if (cleaned) return
    cleaned = true
    for (const stop of cleanups) await stop()
    for (const proc of children) proc.kill('SIGTERM')
    await Promise.all(children.map((proc) => (proc.exitCode === null ? new Promise((resolve) => proc.once('exit', resolve)) : undefined)))
    if (options.keep) say(`kept database ${database}`)
    else await adminDb.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((err) => say(`drop ${database} failed: ${err.message}`))
    await adminDb.end()
  }
  process.once('SIGINT', () => {
    say('\ninterrupted: cleaning up')
    void cleanup().finally(() => process.exit(130))
  })

  say(
    `bench api: GET /v1/customers/{id}/risk over ${fmt(options.customers)} scored customers, ${options.runs} run(s) of ` +
      `${options.duration} s, ${options.connections} connections; ${os.cpus().length} cores, node ${process.version}, ` +
      `PostgreSQL ${versionRows[0].server_version}`,
  )
  try {
    await adminDb.query(`CREATE DATABASE "${database}"`)
    const databaseUrl = databaseUrlFor(infra.databaseUrl, database)
    const pool = createPool({ connectionString: databaseUrl, max: 2 })
    await migrate(pool)
    const seeded = Date.now()
    await pool.query(SEED_SQL, [options.customers])
    await pool.query('VACUUM ANALYZE risk_scores')
    const { key } = await createApiKey(pool, { name: 'bench', scopes: ['read'] })
    await pool.end()
    say(`   seeded ${fmt(options.customers)} scores in ${((Date.now() - seeded) / 1000).toFixed(1)} s`)

    const profileArgs = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`] : []
    if (options.cpuProf) mkdirSync(PROFILES, { recursive: true })
    const api = await startChild('api', { databaseUrl, brokers: infra.brokers, riskCache: true }, children, profileArgs)
    // The same app with RISK_CACHE_MB=0: every read goes to PostgreSQL (what the cache buys).
    const apiNoCache = await startChild('api', { databaseUrl, brokers: infra.brokers, riskCache: false }, children)
    const filteredList = await timeFilteredList(api.port, key, options.listRequests)
    if (options.listOnly) {
      const listResult = { filteredList, customers: options.customers, loadAverageAtStart, command: `npm run bench -- api ${process.argv.slice(2).join(' ')}`.trim(), measuredAt: new Date().toISOString() }
      mkdirSync(dirname(LIST_RESULTS), { recursive: true })
      writeFileSync(LIST_RESULTS, `${JSON.stringify(listResult, null, 2)}\n`)
      say(`wrote ${LIST_RESULTS}`)
      return
    }
    const pathOf = (n) => `/v1/customers/cust-${String(n).padStart(6, '0')}/risk`
    const randomPath = () => pathOf(1 + Math.floor(Math.random() * options.customers))
    const load = (port, { duration, amount, nextPath = randomPath, headers = {}, overallRate, connections = options.connections, ignoreCoordinatedOmission = false }) =>
      new Promise((resolve, reject) => {
        autocannon(
          {
            url: `http://127.0.0.1:${port}`,
            connections,
            ...(amount ? { amount } : { duration }),
            headers,
            ...(overallRate ? { overallRate, ignoreCoordinatedOmission } : {}),
            requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: nextPath() }) }],
          },
          (err, result) => (err ? reject(err) : resolve(result)),
        )
      })
    // The servers' backends only: the background sweep's writes are not the API's cost.
    const backendPids = async () =>
      (await adminDb.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> '${SWEEP_APP}'`, [database])).rows.map((r) => r.pid)
    // Runs a load and measures, over the same window, the CPU of the server under test and of the
    // database backends, and how busy the whole machine was (other work on it skews everything).
    // Backends that close during the window are not counted; the pool keeps its connections busy under load.
    const measure = async (server, loadOptions) => {
      const before = { server: cpuByPid([server.pid]), pg: cpuByPid(await backendPids()), self: process.cpuUsage(), machine: machineJiffies() }
      const result = await load(server.port, loadOptions)
      const machine = machineJiffies()
      const self = process.cpuUsage(before.self)
      const after = { server: cpuByPid([server.pid]), pg: cpuByPid(await backendPids()) }
      const requests = Math.max(1, result.requests.total)
      return {
        reqPerSec: Math.round(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        cpuMsPerRequest: {
          server: round((cpuDelta(before.server, after.server) * 1000) / requests, 4),
          postgres: round((cpuDelta(before.pg, after.pg) * 1000) / requests, 4),
          loadGenerator: round((self.user + self.system) / 1000 / requests, 4),
        },
        machineBusyShare: machine.total > before.machine.total ? round((machine.busy - before.machine.busy) / (machine.total - before.machine.total), 3) : null,
      }
    }
    const auth = { authorization: `Bearer ${key}` }
    // Server-side latency of the risk route from the API's own Prometheus histogram: what the
    // service adds, without the load generator's or the scheduler's share.
    const ROUTE = '/v1/customers/:id/risk'
    const scrape = async () => (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text()
    // Risk-cache lookups so far by result (hit, miss, off), from the API's own counter.
    const cacheLookups = async () => {
      const counts = { hit: 0, miss: 0, off: 0 }
      for (const line of (await scrape()).split('\n')) {
        const match = /^churnwatch_api_risk_cache_lookups_total\{.*result="(hit|miss|off)".*\} (\d+)/.exec(line)
        if (match) counts[match[1]] = Number(match[2])
      }
      return counts
    }
    const histogram = async () => {
      const text = await scrape()
      const buckets = new Map()
      for (const line of text.split('\n')) {
        if (!line.startsWith('churnwatch_api_request_duration_seconds_bucket') || !line.includes(`route="${ROUTE}"`) || !line.includes('status_code="200"')) continue
        const le = /le="([^"]+)"/.exec(line)?.[1]
        if (le) buckets.set(le, Number(line.slice(line.lastIndexOf(' ') + 1)))
      }
      return buckets
    }
    const serverP99Ms = (before, after) => {
      const rows = [...after].map(([le, n]) => [le === '+Inf' ? Infinity : Number(le), n - (before.get(le) ?? 0)]).sort((a, b) => a[0] - b[0])
      const total = rows.at(-1)?.[1] ?? 0
      const hit = rows.find(([, n]) => n >= total * 0.99)
      return hit && total > 0 && hit[0] !== Infinity ? hit[0] * 1000 : null
    }
    const cpuLine = (r) =>
      `CPU ms/request: server ${r.cpuMsPerRequest.server}, postgres ${r.cpuMsPerRequest.postgres}, autocannon ${r.cpuMsPerRequest.loadGenerator}; machine ${Math.round((r.machineBusyShare ?? 0) * 100)}% busy`

    const probe = await fetch(`http://127.0.0.1:${api.port}${randomPath()}`, { headers: auth })
    if (probe.status !== 200) throw new Error(`the API answered ${probe.status} to a valid request: ${await probe.text()}`)
    // The reference serves the same document, so both sides write the same bytes per response.
    const sample = await probe.json()
    const bare = await startChild('bare', { sample }, children)
    say(`   risk document: ${JSON.stringify(sample).length} bytes`)

    // Once, before the runs: JIT compilation (zod parsers, routes), pool connections and prepared
    // statements reach steady state; the first run measured ~40% more API CPU per request without it.
    say(`   warming up both servers for ${INITIAL_WARMUP_SEC} s`)
    await load(bare.port, { duration: INITIAL_WARMUP_SEC })
    await load(api.port, { duration: INITIAL_WARMUP_SEC, headers: auth })
    // A long-running API has read its working set before: one read of every customer fills the
    // cache as that would (the hit share of each run is reported; the no-cache app is beside it).
    let next = 0
    const fillCache = () => load(api.port, { amount: options.customers, nextPath: () => pathOf((next++ % options.customers) + 1), headers: auth })
    await fillCache()
    await load(apiNoCache.port, { duration: INITIAL_WARMUP_SEC, headers: auth })

    const runs = []
    for (let r = 1; r <= options.runs; r++) {
      say(` run ${r}/${options.runs}`)
      await load(bare.port, { duration: options.warmup })
      const bareResult = await measure(bare, { duration: options.duration })
      say(`   bare Fastify   ${fmt(bareResult.reqPerSec)} req/s, p99 ${bareResult.p99Ms} ms, ${cpuLine(bareResult)}`)
      await load(api.port, { duration: options.warmup, headers: auth })
      const lookupsBefore = await cacheLookups()
      const apiResult = await measure(api, { duration: options.duration, headers: auth })
      const lookupsAfter = await cacheLookups()
      const looked = (k) => lookupsAfter[k] - lookupsBefore[k]
      apiResult.riskCacheHitShare = round(looked('hit') / Math.max(1, looked('hit') + looked('miss') + looked('off')), 3)
      say(
        `   churnwatch API ${fmt(apiResult.reqPerSec)} req/s, p99 ${apiResult.p99Ms} ms, ${cpuLine(apiResult)} (risk cache hits ${Math.round(apiResult.riskCacheHitShare * 100)}%, ` +
          `non-2xx ${apiResult.non2xx}, errors ${apiResult.errors})`,
      )
      await load(apiNoCache.port, { duration: options.warmup, headers: auth })
      const noCacheResult = await measure(apiNoCache, { duration: options.duration, headers: auth })
      say(`   API, no cache  ${fmt(noCacheResult.reqPerSec)} req/s, p99 ${noCacheResult.p99Ms} ms, ${cpuLine(noCacheResult)}`)
      // A fixed arrival rate (not a closed loop): latency as a client at that rate sees it.
      const histogramBefore = await histogram()
      const pacedCpu = { server: cpuByPid([api.pid]), machine: machineJiffies() }
      await api.loopDelay()
      const fixed = await pacedLoad({ port: api.port, rate: options.rate, durationSec: options.duration, headers: auth, nextPath: randomPath })
      fixed.serverCpuMsPerRequest = round((cpuDelta(pacedCpu.server, cpuByPid([api.pid])) * 1000) / (options.rate * options.duration), 4)
      fixed.serverEventLoopDelay = await api.loopDelay()
      const machineAfter = machineJiffies()
      fixed.machineBusyShare = round((machineAfter.busy - pacedCpu.machine.busy) / Math.max(1, machineAfter.total - pacedCpu.machine.total), 3)
      fixed.serverP99AtMostMs = serverP99Ms(histogramBefore, await histogram())
      // The brief's method too: autocannon overallRate (its latency correction assumes a 1 ms interval
      // at any rate, so it is turned off; the per-second bursts remain).
      const burst = await measure(api, { duration: options.duration, headers: auth, overallRate: options.rate, connections: 32, ignoreCoordinatedOmission: true })
      say(
        `   API paced at ${fmt(options.rate)} req/s: achieved ${fmt(fixed.reqPerSec)} req/s, p50 ${fixed.p50Ms} ms, p99 ${fixed.p99Ms} ms, ` +
          `max ${fixed.maxMs} ms (server-side p99 <= ${fixed.serverP99AtMostMs ?? '?'} ms, event-loop delay p99 ${fixed.serverEventLoopDelay.p99Ms} ms ` +
          `max ${fixed.serverEventLoopDelay.maxMs} ms, longest GC pause ${fixed.serverEventLoopDelay.gcMaxMs} ms, heap ${fixed.serverEventLoopDelay.heapUsedMb} MB, server CPU ${fixed.serverCpuMsPerRequest} ms/request; machine ${Math.round(fixed.machineBusyShare * 100)}% busy)`,
      )
      say(`   API autocannon overallRate ${fmt(options.rate)}: achieved ${fmt(burst.reqPerSec)} req/s, p50 ${burst.p50Ms} ms, p99 ${burst.p99Ms} ms`)
      // Again while every score is rewritten once per sweepSeconds, as a live scorer's sweep does.
      let sweepResult = null
      let bareWithSweep = null
      let fixedWithSweep = null
      let bareFixedWithSweep = null
      if (options.sweepSeconds > 0) {
        const sweep = await startSweep(databaseUrl, options.customers, options.sweepSeconds)
        cleanups.push(sweep.stop)
        try {
          // One whole sweep under load first: every document has been changed once and read again, the steady state.
          await load(api.port, { duration: options.sweepSeconds, headers: auth })
          // The sweep's writes load the whole machine, so the bare route is measured under it too:
          // the ratio then compares like with like.
          bareWithSweep = await measure(bare, { duration: options.duration })
          const before = await cacheLookups()
          sweepResult = await measure(api, { duration: options.duration, headers: auth })
          const after = await cacheLookups()
          const n = (k) => after[k] - before[k]
          sweepResult.riskCacheHitShare = round(n('hit') / Math.max(1, n('hit') + n('miss') + n('off')), 3)
          sweepResult.sweptRowsPerSec = Math.round(options.customers / options.sweepSeconds)
          // The bare route at the same rate under the same sweep: what the machine alone adds to latency.
          bareFixedWithSweep = await pacedLoad({ port: bare.port, rate: options.rate, durationSec: options.duration, nextPath: randomPath })
          const sweepHistogram = await histogram()
          await api.loopDelay()
          fixedWithSweep = await pacedLoad({ port: api.port, rate: options.rate, durationSec: options.duration, headers: auth, nextPath: randomPath })
          fixedWithSweep.serverEventLoopDelay = await api.loopDelay()
          fixedWithSweep.serverP99AtMostMs = serverP99Ms(sweepHistogram, await histogram())
        } finally {
          await sweep.stop()
        }
        // The next run measures a warm cache again.
        await fillCache()
        say(`   bare, live sweep ${fmt(bareWithSweep.reqPerSec)} req/s, p99 ${bareWithSweep.p99Ms} ms, ${cpuLine(bareWithSweep)}`)
        say(
          `   API, live sweep ${fmt(sweepResult.reqPerSec)} req/s, p99 ${sweepResult.p99Ms} ms, ${cpuLine(sweepResult)} (every score rewritten once per ` +
            `${options.sweepSeconds} s; risk cache hits ${Math.round(sweepResult.riskCacheHitShare * 100)}%)`,
        )
        const sweepLoop = fixedWithSweep.serverEventLoopDelay
        say(
          `   API, live sweep, paced at ${fmt(options.rate)} req/s: achieved ${fmt(fixedWithSweep.reqPerSec)} req/s, p50 ${fixedWithSweep.p50Ms} ms, ` +
            `p99 ${fixedWithSweep.p99Ms} ms, max ${fixedWithSweep.maxMs} ms (server-side p99 <= ${fixedWithSweep.serverP99AtMostMs ?? '?'} ms, ` +
            `event-loop delay p99 ${sweepLoop.p99Ms} ms max ${sweepLoop.maxMs} ms, longest GC pause ${sweepLoop.gcMaxMs} ms, heap ${sweepLoop.heapUsedMb} MB)`,
        )
        say(`   bare, live sweep, paced at ${fmt(options.rate)} req/s: p50 ${bareFixedWithSweep.p50Ms} ms, p99 ${bareFixedWithSweep.p99Ms} ms, max ${bareFixedWithSweep.maxMs} ms`)
      }
      const sweepFailures = sweepResult ? sweepResult.non2xx + sweepResult.errors + fixedWithSweep.non2xx + fixedWithSweep.errors : 0
      if (sweepFailures + apiResult.non2xx + apiResult.errors + noCacheResult.non2xx + noCacheResult.errors + fixed.non2xx + fixed.errors + burst.non2xx + burst.errors > 0) {
        throw new Error('the API answered errors under load; see above')
      }
      runs.push({
        bare: bareResult,
        api: apiResult,
        apiNoCache: noCacheResult,
        apiWithSweep: sweepResult,
        bareWithSweep,
        fixedRateWithSweep: fixedWithSweep,
        bareFixedRateWithSweep: bareFixedWithSweep,
        fixedRate: fixed,
        autocannonOverallRate: burst,
        ratio: round(apiResult.reqPerSec / bareResult.reqPerSec, 3),
        ratioNoCache: round(noCacheResult.reqPerSec / bareResult.reqPerSec, 3),
        // Both measured while the sweep runs.
        ratioWithSweep: sweepResult ? round(sweepResult.reqPerSec / bareWithSweep.reqPerSec, 3) : null,
      })
    }

    const bareReqPerSec = Math.round(median(runs.map((r) => r.bare.reqPerSec)))
    const apiReqPerSec = Math.round(median(runs.map((r) => r.api.reqPerSec)))
    const p99MsAt1000 = median(runs.map((r) => r.fixedRate.p99Ms))
    const serverSideP99 = median(runs.map((r) => r.fixedRate.serverP99AtMostMs ?? Infinity))
    const autocannonP99 = median(runs.map((r) => r.autocannonOverallRate.p99Ms))
    const cpuMedian = (pick) => ({
      server: median(runs.map((r) => pick(r).cpuMsPerRequest.server)),
      postgres: median(runs.map((r) => pick(r).cpuMsPerRequest.postgres)),
      loadGenerator: median(runs.map((r) => pick(r).cpuMsPerRequest.loadGenerator)),
    })
    const result = {
      bareReqPerSec,
      apiReqPerSec,
      // Each run measures both servers back to back, so its ratio shares that run's background load;
      // the median of those ratios is steadier than the ratio of the two medians (also given).
      ratio: median(runs.map((r) => r.ratio)),
      ratioOfMedians: round(apiReqPerSec / bareReqPerSec, 3),
      riskCacheHitShare: median(runs.map((r) => r.api.riskCacheHitShare)),
      apiNoCacheReqPerSec: Math.round(median(runs.map((r) => r.apiNoCache.reqPerSec))),
      ratioNoCache: median(runs.map((r) => r.ratioNoCache)),
      ...(options.sweepSeconds > 0
        ? {
            apiWithSweepReqPerSec: Math.round(median(runs.map((r) => r.apiWithSweep.reqPerSec))),
            bareWithSweepReqPerSec: Math.round(median(runs.map((r) => r.bareWithSweep.reqPerSec))),
            ratioWithSweep: median(runs.map((r) => r.ratioWithSweep)),
            riskCacheHitShareWithSweep: median(runs.map((r) => r.apiWithSweep.riskCacheHitShare)),
            p99MsAt1000WithSweep: median(runs.map((r) => r.fixedRateWithSweep.p99Ms)),
            bareP99MsAt1000WithSweep: median(runs.map((r) => r.bareFixedRateWithSweep.p99Ms)),
          }
        : {}),
      p99MsAt1000,
      serverSideP99MsAt1000AtMost: Number.isFinite(serverSideP99) ? serverSideP99 : null,
      autocannonOverallRateP99Ms: autocannonP99,
      cpuMsPerRequest: { bare: cpuMedian((r) => r.bare), api: cpuMedian((r) => r.api), apiNoCache: cpuMedian((r) => r.apiNoCache) },
      machineBusyShare: median(runs.flatMap((r) => [r.bare.machineBusyShare, r.api.machineBusyShare]).filter((x) => x !== null)),
      filteredList,
      loadAverageAtStart,
      target: TARGET,
      meetsTarget: median(runs.map((r) => r.ratio)) >= TARGET.ratio && p99MsAt1000 < TARGET.p99MsAt1000,
      settings: {
        customers: options.customers,
        durationSec: options.duration,
        warmupSec: options.warmup,
        initialWarmupSec: INITIAL_WARMUP_SEC,
        connections: options.connections,
        fixedRate: options.rate,
        fixedRateMethod: 'paced open loop (request i due at i/rate, latency from that instant); autocannon overallRate reported beside it',
        apiLogLevel: 'warn',
        pgPoolMax: 10,
        riskCache: 'on (RISK_CACHE_MB default, following risk_scores notifications); apiNoCache is the same app with it off',
        backgroundSweepSeconds: options.sweepSeconds,
        bareRoute: 'Fastify, no plugins, GET route answering a constant copy of a real risk document (same bytes)',
        note: 'API and bare server each in a child process; autocannon in the orchestrator process on the same machine',
      },
      runs,
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 1e9),
        node: process.version,
        postgres: versionRows[0].server_version,
        fastify: readPackageVersion('fastify'),
        autocannon: readPackageVersion('autocannon'),
      },
      command: `npm run bench -- api ${process.argv.slice(2).join(' ')}`.trim(),
      measuredAt: new Date().toISOString(),
    }
    mkdirSync(dirname(RESULTS), { recursive: true })
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`)
    say(
      `\nmedian of ${options.runs}: bare ${fmt(bareReqPerSec)} req/s, API ${fmt(apiReqPerSec)} req/s, ratio ${result.ratio} (per run; of medians ${result.ratioOfMedians}; ` +
        `risk cache hits ${Math.round(result.riskCacheHitShare * 100)}%; without the cache ${fmt(result.apiNoCacheReqPerSec)} req/s, ratio ${result.ratioNoCache}` +
        (options.sweepSeconds > 0
          ? `; with a live sweep ${fmt(result.apiWithSweepReqPerSec)} req/s vs bare ${fmt(result.bareWithSweepReqPerSec)}, ratio ${result.ratioWithSweep}, ` +
            `hits ${Math.round(result.riskCacheHitShareWithSweep * 100)}%, p99 at ${fmt(options.rate)} req/s ${result.p99MsAt1000WithSweep} ms vs bare ${result.bareP99MsAt1000WithSweep} ms) `
          : ') ') +
        `(target >= ${TARGET.ratio}); p99 at a steady ${fmt(options.rate)} req/s ${p99MsAt1000} ms (target < ${TARGET.p99MsAt1000} ms; ` +
        `autocannon overallRate p99 ${autocannonP99} ms)` +
        `${result.meetsTarget ? '' : '  [TARGET MISSED]'}\nwrote ${RESULTS}`,
    )
  } finally {
    await cleanup()
  }
}

// Two filters each (issue 13); selectivity from ~0.5 % (one owner, one band) to ~20 %.
const FILTERED_QUERIES = [
  'segment=enterprise&plan=pro',
  'segment=smb&band=high',
  'ownerId=owner-7&band=high',
  'plan=business&renewalWithinDays=30',
  'segment=mid_market&ownerId=owner-12',
  'segment=enterprise&plan=pro&sort=probability',
  'ownerId=owner-7&band=high&sort=probability',
  'plan=business&renewalWithinDays=30&sort=probability',
]

/**
 * GET /v1/customers?<two filters>&limit=100 (first pages, and second pages through the cursor) from
 * 4 concurrent clients, after 200 warm-up requests: latency percentiles over `requests`, per query
 * and overall. Closed loop: what a few analysts paging at once see.
 */
async function timeFilteredList(port, key, requests) {
  const headers = { authorization: `Bearer ${key}` }
  const perQuery = new Map(FILTERED_QUERIES.map((q) => [q, []]))
  const all = []
  let issued = 0
  const one = async (record) => {
    const query = FILTERED_QUERIES[issued++ % FILTERED_QUERIES.length]
    const started = performance.now()
    const first = await fetch(`http://127.0.0.1:${port}/v1/customers?${query}&limit=100`, { headers })
    if (first.status !== 200) throw new Error(`filtered list answered ${first.status}: ${await first.text()}`)
    const page = await first.json()
    const firstMs = performance.now() - started
    if (record) {
      perQuery.get(query).push(firstMs)
      all.push(firstMs)
    }
    if (page.nextCursor) {
      const again = performance.now()
      const second = await fetch(`http://127.0.0.1:${port}/v1/customers?${query}&limit=100&cursor=${page.nextCursor}`, { headers })
      if (second.status !== 200) throw new Error(`filtered list page 2 answered ${second.status}`)
      await second.arrayBuffer()
      if (record) all.push(performance.now() - again)
    }
  }
  const drive = async (count, record) => {
    let left = count
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (left-- > 0) await one(record)
    }))
  }
  await drive(200, false)
  await drive(requests, true)
  // The same list without filters, for scale: what the filters add over the list itself.
  const unfiltered = []
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let i = 0; i < Math.ceil(requests / 8); i++) {
      const started = performance.now()
      const response = await fetch(`http://127.0.0.1:${port}/v1/customers?limit=100`, { headers })
      await response.arrayBuffer()
      unfiltered.push(performance.now() - started)
    }
  }))
  const pct = (values, q) => {
    const sorted = [...values].sort((a, b) => a - b)
    return round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN, 2)
  }
  const result = {
    requests: all.length,
    concurrency: 4,
    p50Ms: pct(all, 0.5),
    p95Ms: pct(all, 0.95),
    p99Ms: pct(all, 0.99),
    target: LIST_TARGET,
    meetsTarget: pct(all, 0.95) < LIST_TARGET.p95Ms,
    firstPageP95MsByQuery: Object.fromEntries([...perQuery].map(([q, values]) => [q, pct(values, 0.95)])),
    unfilteredFirstPage: { requests: unfiltered.length, p50Ms: pct(unfiltered, 0.5), p95Ms: pct(unfiltered, 0.95) },
  }
  say(`   filtered ranked list (two filters, limit 100, 4 clients): p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms (target p95 < ${LIST_TARGET.p95Ms} ms)`)
  for (const [q, p95] of Object.entries(result.firstPageP95MsByQuery)) say(`     ${q}: first page p95 ${p95} ms`)
  say(`     no filter (for scale): first page p50 ${result.unfilteredFirstPage.p50Ms} ms, p95 ${result.unfilteredFirstPage.p95Ms} ms`)
  return result
}

function readPackageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return 'unknown'
  }
}

const SWEEP_APP = 'bench-api-sweep'

/**
 * Rewrites `as_of` and `scored_at` of every customer once per `seconds`, 1,000 rows at a time, as
 * the scorer's sweep does (default SWEEP_INTERVAL_MS: every active customer each minute). Each
 * chunk notifies the API, which drops those documents and reads again those read since they were
 * stored: the cache's hit share and latency under a live scorer.
 */
async function startSweep(databaseUrl, customers, seconds) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: databaseUrl, application_name: SWEEP_APP })
  await client.connect()
  const chunk = 1_000
  let from = 1
  let stopped = false
  const done = (async () => {
    while (!stopped) {
      const started = Date.now()
      const to = Math.min(customers, from + chunk - 1)
      await client.query(
        `UPDATE risk_scores SET as_of = now(), scored_at = now() WHERE customer_id BETWEEN $1 AND $2`,
        [`cust-${String(from).padStart(6, '0')}`, `cust-${String(to).padStart(6, '0')}`],
      )
      from = to >= customers ? 1 : to + 1
      const due = (chunk / customers) * seconds * 1000
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - (Date.now() - started))))
    }
  })()
  let ended
  return {
    stop: () => {
      stopped = true
      ended ??= done.then(() => client.end())
      return ended
    },
  }
}

/** Starts a server child (this file with --child ROLE) and resolves with its port once it listens. */
function startChild(role, input, children, execArgv = []) {
  return new Promise((resolve, reject) => {
    const proc = fork(SELF, ['--child', role], { stdio: 'inherit', execArgv })
    children.push(proc)
    proc.on('message', (m) => {
      if (m.type === 'ready') proc.send(input)
      else if (m.type === 'listening') {
        resolve({
          port: m.port,
          pid: proc.pid,
          loopDelay: () =>
            new Promise((answer) => {
              const onMessage = (reply) => {
                if (reply.type !== 'loop-delay') return
                proc.off('message', onMessage)
                answer({ p99Ms: reply.p99Ms, maxMs: reply.maxMs, gcMaxMs: reply.gcMaxMs, heapUsedMb: reply.heapUsedMb })
              }
              proc.on('message', onMessage)
              proc.send({ type: 'loop-delay' })
            }),
        })
      }
    })
    proc.on('error', reject)
    proc.on('exit', (code, signal) => reject(new Error(`${role} server exited with ${signal ?? code}`)))
  })
}

// ---------------------------------------------------------------------------------------------
// child processes: the servers under test

async function runChild(role) {
  process.on('SIGINT', () => undefined)
  const input = await new Promise((resolve) => {
    process.once('message', resolve)
    process.send({ type: 'ready' })
  })
  const app = role === 'api' ? await apiServer(input) : await bareServer(input)
  await app.listen({ port: 0, host: '127.0.0.1' })
  // Event-loop delay of this server, read and reset by the orchestrator around a measurement.
  // With the longest GC pause: a stall without a long pause was the process waiting for a CPU.
  const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks')
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  let gcMaxMs = 0
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, entry.duration)
  }).observe({ entryTypes: ['gc'] })
  process.on('message', (m) => {
    if (m.type !== 'loop-delay') return
    const heapUsedMb = round(process.memoryUsage().heapUsed / 1_048_576, 1)
    process.send({ type: 'loop-delay', p99Ms: round(loop.percentile(99) / 1e6, 2), maxMs: round(loop.max / 1e6, 2), gcMaxMs: round(gcMaxMs, 2), heapUsedMb })
    loop.reset()
    gcMaxMs = 0
  })
  process.send({ type: 'listening', port: app.server.address().port })
  process.once('SIGTERM', () => {
    app.close().finally(() => process.exit(0))
  })
}

/** The production app over the seeded database, as main.ts wires it (rate limiting on, high limit; risk cache on or off). */
async function apiServer({ databaseUrl, brokers, riskCache }) {
  const { buildApp } = await import('@churnwatch/api')
  const { createKafka, createPublisher } = await import('@churnwatch/kafka')
  const { createLogger, createMetricsRegistry } = await import('@churnwatch/observability')
  const { createOutboxRelay, createPool, listenForScoreChanges } = await import('@churnwatch/storage')
  const log = createLogger({ service: 'api', level: 'warn' })
  const pool = createPool({
    connectionString: databaseUrl,
    max: 10,
    applicationName: 'bench-api',
    onIdleError: (err) => log.warn({ err }, 'idle database connection closed'),
  })
  const kafka = createKafka({ brokers, clientId: 'bench-api', log })
  const publisher = createPublisher(kafka)
  await publisher.connect()
  const scoreChanges = riskCache ? listenForScoreChanges({ connectionString: databaseUrl, applicationName: 'bench-api-score-changes' }) : undefined
  while (scoreChanges && !scoreChanges.listening) await new Promise((resolve) => setTimeout(resolve, 20))
  const outbox = createOutboxRelay(pool, (topic, messages) => publisher.publish(topic, messages), (err) => log.warn({ err }, 'outbox relay failed'))
  const app = await buildApp({
    pool,
    publisher,
    outbox,
    kafka,
    log,
    registry: createMetricsRegistry({ service: 'api' }),
    scoreChanges,
    options: { rateLimitPerMinute: 1_000_000_000, ...(riskCache ? {} : { riskCacheMaxBytes: 0 }) },
  })
  app.addHook('onClose', async () => {
    await scoreChanges?.close()
    await publisher.disconnect()
    await outbox.idle()
    await pool.end()
  })
  return app
}

/** The reference: Fastify with one route answering a constant risk document (JSON.stringify per request), nothing else. */
async function bareServer({ sample }) {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  app.get('/v1/customers/:id/risk', async () => sample)
  return app
}

const childIndex = process.argv.indexOf('--child')
if (childIndex >= 0) {
  runChild(process.argv[childIndex + 1]).catch((err) => {
    process.stderr.write(`bench api child: ${err.stack ?? err}\n`)
    process.exit(1)
  })
} else {
  main().catch((err) => {
    process.stderr.write(`bench api: ${err.stack ?? err}\n`)
    process.exit(1)
  })
}
