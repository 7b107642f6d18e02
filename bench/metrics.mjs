// `npm run bench -- metrics [--customers N] [--requests R]`
//
// The metrics routes of services/api (GET /v1/metrics/churn by month over 12 months, the same with
// groupBy=segment and groupBy=interval, and GET /v1/metrics/retention) over N customers of seeded
// billing and account history in a fresh PostgreSQL database (issue 13's target: 100,000 customers,
// p95 within 200 ms). The production app from buildApp, called through `inject` (no socket: the
// routes' own cost): the cold first request, then per route R sequential requests with a fresh `to`
// (computed: report cache missed) and R with the same URL (cached). Figures go to
// bench/results/metrics.json.
import { createTempDatabase, fmt, infraEndpoints, kafkaAndPostgres, median, parseFlags, round, say, writeResult } from './_lib.mjs'

const USAGE = 'usage: npm run bench -- metrics [--customers N] [--requests R]'
const TARGET_P95_MS = 200

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

/**
 * N customers over three years before 2026-01-01, all in SQL: a start on a random day (plan and
 * interval by customer number, MRR 10-60 USD), a change 100 days later for 30 %, a cancel at 200 and
 * an end at 230 days for 40 %, monthly invoices for a fifth of the customers, and one account event
 * (segment, owner) at the start.
 */
async function seed(pool, customers) {
  await pool.query('SELECT setseed(0.42)')
  await pool.query(
    `CREATE TEMP TABLE seed AS
     SELECT i, 'c' || lpad(i::text, 7, '0') AS customer_id,
            timestamptz '2023-01-01' + (floor(random() * 1000) || ' days')::interval AS started_at,
            (1000 + floor(random() * 5000))::bigint AS mrr, random() AS r1, random() AS r2
     FROM generate_series(1, $1) AS i`,
    [customers],
  )
  await pool.query(`
    INSERT INTO billing_events (customer_id, occurred_at, event_id, type, mrr, amount, currency, plan, reason, voluntary, terms)
    SELECT customer_id, started_at, customer_id || '-s', 'subscription_started', mrr, NULL::bigint, 'USD', (ARRAY['starter','pro','business'])[1 + i % 3], NULL::text, NULL::boolean,
           CASE WHEN i % 4 = 0 THEN '{"interval":"year","intervalCount":1}'::jsonb END
    FROM seed
    UNION ALL
    SELECT customer_id, started_at + interval '100 days', customer_id || '-c', 'subscription_changed', mrr + 500, NULL, 'USD', NULL, NULL, NULL, NULL FROM seed WHERE r1 < 0.3
    UNION ALL
    SELECT customer_id, started_at + interval '200 days', customer_id || '-x', 'subscription_canceled', NULL, NULL, 'USD', NULL, 'too_expensive', true, NULL FROM seed WHERE r2 < 0.4
    UNION ALL
    SELECT customer_id, started_at + interval '230 days', customer_id || '-e', 'subscription_ended', NULL, NULL, 'USD', NULL, 'too_expensive', true, NULL FROM seed WHERE r2 < 0.4
    UNION ALL
    SELECT customer_id, started_at + (m || ' months')::interval, customer_id || '-i' || m, 'invoice_paid', NULL, mrr, 'USD', NULL, NULL, NULL, NULL
    FROM seed, generate_series(0, 35) AS m WHERE i % 5 = 0 AND started_at + (m || ' months')::interval < timestamptz '2026-01-01'`)
  await pool.query(`
    INSERT INTO account_events (customer_id, occurred_at, event_id, fields)
    SELECT customer_id, started_at, customer_id || '-a',
           jsonb_build_object('segment', (ARRAY['smb','mid','enterprise'])[1 + i % 3], 'ownerId', 'owner-' || (i % 40))
    FROM seed`)
  await pool.query('ANALYZE billing_events; ANALYZE account_events')
}

async function main() {
  const options = parseFlags(process.argv.slice(2), { customers: 100_000, requests: 20 }, USAGE)
  const { databaseUrl } = infraEndpoints()
  const { brokers } = kafkaAndPostgres()
  const db = await createTempDatabase(databaseUrl, 'cw_bench_metrics')
  const { buildApp } = await import('@churnwatch/api')
  const { createKafka, createPublisher } = await import('@churnwatch/kafka')
  const { createLogger, createMetricsRegistry } = await import('@churnwatch/observability')
  const { createApiKey, createOutboxRelay, createPool, migrate } = await import('@churnwatch/storage')
  const log = createLogger({ service: 'bench-metrics', level: 'warn' })
  const pool = createPool({ connectionString: db.url, max: 10, applicationName: 'bench-metrics' })
  let app
  let publisher
  try {
    await migrate(pool)
    const seeded = Date.now()
    await seed(pool, options.customers)
    say(`seeded ${fmt(options.customers)} customers in ${round((Date.now() - seeded) / 1000, 1)} s (${db.name})`)
    const { key } = await createApiKey(pool, { name: 'bench', scopes: ['read'] })
    const kafka = createKafka({ brokers, clientId: 'bench-metrics', log })
    publisher = createPublisher(kafka)
    await publisher.connect()
    const outbox = createOutboxRelay(pool, (topic, messages) => publisher.publish(topic, messages), (err) => log.warn({ err }, 'outbox relay failed'))
    app = await buildApp({
      pool,
      publisher,
      outbox,
      log,
      registry: createMetricsRegistry({ service: 'api', defaultMetrics: false }),
      now: () => new Date('2026-01-01T00:00:00Z'),
      options: { rateLimitPerMinute: 1_000_000_000 },
    })
    const routes = {
      churn: '/v1/metrics/churn?interval=month',
      churnBySegment: '/v1/metrics/churn?interval=month&groupBy=segment',
      churnByInterval: '/v1/metrics/churn?interval=month&groupBy=interval',
      retention: '/v1/metrics/retention?cohort=month',
    }
    const results = {}
    const get = async (url) => {
      const started = performance.now()
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } })
      const ms = performance.now() - started
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 300)}`)
      return ms
    }
    const heapBefore = process.memoryUsage()
    // Cold: the first request reads every customer's history and builds the in-memory timelines.
    const coldMs = await get(routes.churn)
    const heapAfter = process.memoryUsage()
    say(`cold first request (full read + fold + report) ${fmt(coldMs)} ms; heap +${fmt((heapAfter.heapUsed - heapBefore.heapUsed) / 2 ** 20)} MiB, rss ${fmt(heapAfter.rss / 2 ** 20)} MiB`)
    for (const [name, url] of Object.entries(routes)) {
      // Computed: every request a different `to` / `asOf` (1 ms apart), so the report cache misses;
      // the timelines stay in memory and the per-request change check runs.
      const computed = []
      for (let i = 0; i < options.requests + 1; i++) {
        const at = new Date(Date.parse('2026-01-01T00:00:00Z') - i - 1).toISOString()
        const ms = await get(`${url}&${name === 'retention' ? 'asOf' : 'to'}=${at}`)
        if (i >= 1) computed.push(ms)
      }
      // Cached: the same URL again (a dashboard refresh): the change check, then the kept report.
      const cachedTimes = []
      for (let i = 0; i < options.requests + 1; i++) {
        const ms = await get(url)
        if (i >= 1) cachedTimes.push(ms)
      }
      const sum = (xs) => ({ p50Ms: round(median(xs), 1), p95Ms: round(percentile(xs, 95), 1), maxMs: round(Math.max(...xs), 1) })
      results[name] = { url, computed: sum(computed), cached: sum(cachedTimes), p95Ms: round(percentile(computed, 95), 1) }
      say(`${name.padEnd(16)} computed p50 ${fmt(results[name].computed.p50Ms)} ms p95 ${fmt(results[name].computed.p95Ms)} ms | cached p50 ${results[name].cached.p50Ms} ms p95 ${results[name].cached.p95Ms} ms`)
    }
    results.coldMs = round(coldMs, 1)
    results.heapMiB = round((heapAfter.heapUsed - heapBefore.heapUsed) / 2 ** 20, 1)
    const worst = Math.max(...Object.values(results).filter((r) => typeof r === 'object').map((r) => r.p95Ms))
    say(`target: p95 <= ${TARGET_P95_MS} ms over ${fmt(options.customers)} customers: ${worst <= TARGET_P95_MS ? 'met' : `NOT met (worst p95 ${fmt(worst)} ms)`}`)
    writeResult('metrics', { customers: options.customers, requests: options.requests, targetP95Ms: TARGET_P95_MS, routes: results }, process.argv.slice(2))
  } finally {
    await app?.close()
    await publisher?.disconnect()
    await pool.end()
    await db.drop()
  }
}

main().catch((err) => {
  process.stderr.write(`bench metrics: ${err.stack ?? err}\n`)
  process.exit(1)
})
