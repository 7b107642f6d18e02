// `npm run bench -- console [--customers N] [--runs R]`
//
// The console in Debian's Chromium against the production app (buildApp) over N scored customers
// (real PostgreSQL; Kafka for the app's publisher): time from navigation to the worklist's first 50
// rows on screen, and to an account page with its risk chart drawn (score history of 30 material
// changes), each R times in a fresh page after signing in once; and the JavaScript the first page
// loads, gzipped. Targets (issue 14): both within 1 s; at most 150 KB of JavaScript.
// Medians go to bench/results/console.json.
import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { createTempDatabase, fmt, kafkaAndPostgres, median, parseFlags, ROOT, round, say, writeResult } from './_lib.mjs'

const USAGE = 'usage: npm run bench -- console [--customers 100000] [--runs 5]'
const TARGET = { worklistMs: 1_000, accountMs: 1_000, firstPageJsGzipKb: 150 }
const DIST = join(ROOT, 'apps', 'console', 'dist')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const SEED_SQL = `
INSERT INTO risk_scores (customer_id, probability, band, drivers, features, plan, mrr, revenue_at_risk, model_version,
                         as_of, scored_at, published_probability, published_band, change_seq)
SELECT id, p, band,
       jsonb_build_array(
         jsonb_build_object('feature', 'days_since_last_activity', 'value', silent, 'contribution', 0.91,
                            'sentence', 'No product usage in the last ' || silent || ' days'),
         jsonb_build_object('feature', 'failed_payments_90d', 'value', failed, 'contribution', 0.42,
                            'sentence', failed || ' failed payments in the last 90 days')),
       jsonb_build_object('days_since_last_activity', silent, 'failed_payments_90d', failed, 'mrr', mrr),
       'pro', mrr, round(p * mrr), 'gbdt-bench-00000000', now(), now(), p, band, nextval('risk_score_seq')
FROM (
  SELECT 'cust-' || lpad(i::text, 6, '0') AS id, p, (2000 + (i % 40) * 250) AS mrr, (i % 45) AS silent, (i % 3) AS failed,
         CASE WHEN p >= 0.5 THEN 'high' WHEN p >= 0.2 THEN 'medium' ELSE 'low' END AS band
  FROM (SELECT i, round(random()::numeric, 6)::float8 AS p FROM generate_series(1, $1::int) i) r
) s`

const HISTORY_SQL = `
INSERT INTO risk_score_history (customer_id, scored_at, as_of, probability, band, drivers, model_version)
SELECT 'cust-000001', t, t, 0.1 + d * 0.02, CASE WHEN 0.1 + d * 0.02 >= 0.5 THEN 'high' WHEN 0.1 + d * 0.02 >= 0.2 THEN 'medium' ELSE 'low' END,
       '[]'::jsonb, 'gbdt-bench-00000000'
FROM (SELECT d, now() - (30 - d) * interval '3 days' AS t FROM generate_series(1, 30) d) h`

async function main() {
  const options = parseFlags(process.argv.slice(2), { customers: 100_000, runs: 5 }, USAGE)
  // Figures from a busy machine read slow: the load average is reported beside them.
  const loadAverageAtStart = os.loadavg().map((x) => round(x, 2))
  const { brokers, databaseUrl } = kafkaAndPostgres()
  const { chromium } = await import('playwright-core')
  const { apiTopics, buildApp } = await import('@churnwatch/api')
  const { createKafka, createPublisher } = await import('@churnwatch/kafka')
  const { createLogger, createMetricsRegistry } = await import('@churnwatch/observability')
  const { createApiKey, createOutboxRelay, createPool, migrate } = await import('@churnwatch/storage')

  const js = readdirSync(join(DIST, 'assets')).filter((f) => f.endsWith('.js'))
  const jsGzipBytes = js.reduce((n, f) => n + gzipSync(readFileSync(join(DIST, 'assets', f))).length, 0)

  const db = await createTempDatabase(databaseUrl, 'cw_bench_console')
  const log = createLogger({ service: 'bench-console', level: 'warn' })
  const pool = createPool({ connectionString: db.url, max: 10, applicationName: 'bench-console' })
  const kafka = createKafka({ brokers, clientId: 'bench-console', log })
  const publisher = createPublisher(kafka)
  let app
  let browser
  try {
    await migrate(pool)
    const seeded = Date.now()
    await pool.query(SEED_SQL, [options.customers])
    await pool.query(HISTORY_SQL)
    await pool.query('VACUUM ANALYZE risk_scores')
    const { key } = await createApiKey(pool, { name: 'bench', scopes: ['admin'] })
    say(`bench console: ${fmt(options.customers)} scored customers seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s; ${options.runs} run(s)`)
    await publisher.connect()
    const outbox = createOutboxRelay(pool, (topic, messages) => publisher.publish(topic, messages), (err) => log.warn({ err }, 'outbox relay failed'))
    app = await buildApp({
      pool,
      publisher,
      outbox,
      kafka,
      log,
      registry: createMetricsRegistry({ service: 'api', defaultMetrics: false }),
      topics: apiTopics(`${db.name}.`),
      options: { consoleDir: DIST, sessionSecret: 'bench-console-session-secret-0123456789', rateLimitPerMinute: 1_000_000 },
    })
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    })
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const signInPage = await context.newPage()
    await signInPage.goto(`${base}/app/`)
    await signInPage.getByLabel('API key').fill(key)
    await signInPage.getByRole('button', { name: 'Sign in' }).click()
    await signInPage.locator('table.worklist').waitFor()
    await signInPage.close()

    const worklistMs = []
    const accountMs = []
    for (let run = 0; run < options.runs; run++) {
      const page = await context.newPage()
      let started = performance.now()
      await page.goto(`${base}/app/#/worklist?run=${run}`)
      await page.locator('table.worklist tbody tr').nth(49).waitFor()
      worklistMs.push(performance.now() - started)
      await page.close()
      const account = await context.newPage()
      started = performance.now()
      await account.goto(`${base}/app/#/customers/cust-000001?run=${run}`)
      await account.locator('.chart canvas').waitFor()
      await account.getByRole('heading', { name: 'Open alerts' }).waitFor()
      accountMs.push(performance.now() - started)
      await account.close()
    }
    const result = {
      customers: options.customers,
      runs: options.runs,
      worklistFirst50Ms: { median: round(median(worklistMs), 0), first: round(worklistMs[0], 0), max: round(Math.max(...worklistMs), 0) },
      accountPageMs: { median: round(median(accountMs), 0), first: round(accountMs[0], 0), max: round(Math.max(...accountMs), 0) },
      firstPageJsGzipKb: round(jsGzipBytes / 1024, 1),
      target: TARGET,
      loadAverageAtStart,
    }
    say(`   worklist, first 50 rows: median ${result.worklistFirst50Ms.median} ms (first ${result.worklistFirst50Ms.first}, max ${result.worklistFirst50Ms.max}); target ${TARGET.worklistMs} ms`)
    say(`   account page with chart: median ${result.accountPageMs.median} ms (first ${result.accountPageMs.first}, max ${result.accountPageMs.max}); target ${TARGET.accountMs} ms`)
    say(`   load average at start ${loadAverageAtStart.join(', ')} on ${os.cpus().length} cores`)
    say(`   JavaScript of the first page: ${result.firstPageJsGzipKb} KB gzipped; target ${TARGET.firstPageJsGzipKb} KB`)
    writeResult('console', result, process.argv.slice(2))
  } finally {
    await browser?.close()
    await app?.close()
    await publisher.disconnect()
    await pool.end()
    await db.drop()
  }
}

main().catch((err) => {
  process.stderr.write(`bench console: ${err.stack ?? err}\n`)
  process.exit(1)
})
