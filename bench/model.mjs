// `npm run bench -- model [--customers 10000] [--months 24] [--seed 7] [--events-per-user-day 0.25]
//                        [--score-customers 1000000] [--score-runs 1] [--annual-share 0] [--accounts 0]`
//
// `--annual-share 0.4` (any X > 0) simulates the contract-heavy configuration: contract terms on,
// that share of annual contracts (renewals, notice, 12 x MRR invoices); `--accounts 1` adds segments,
// owners and account events. Both off by default, so the default figures stay comparable.
//
// 1. Simulates a business, backfills it into a fresh database, trains logistic and GBDT models at
//    the end of the simulation and reports their time-based holdout ROC AUC next to the
//    simulator's oracle AUC (its own true 90-day probabilities) and the one-rule baseline (days
//    since last activity); XGBoost's AUC on the same training set where Debian's python3-xgboost
//    is installed. Also models and oracle on identical rows (`sameRows`: customers active at the
//    holdout's month starts, where the oracle's probabilities live).
// 2. Scores N synthetic customers read from PostgreSQL with the real `churnwatch score` command.
// Writes bench/results/model.json.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deserializeModel, predict, rocAuc } from '@churnwatch/model'
import { backfillLines } from '@churnwatch/ingest'
import { simulateBusiness } from '@churnwatch/simulator'
import { createPool, getModel, insertModel, activateModel, migrate } from '@churnwatch/storage'
import { buildPointInTimeSet, selectTensorflowBackend, trainAndRegister } from '@churnwatch/training'
import { createTempDatabase, infraEndpoints, median, parseFlags, progressLine, ROOT, say, writeResult } from './_lib.mjs'

const argv = process.argv.slice(2)
const options = parseFlags(
  argv,
  { customers: 10_000, months: 24, seed: 7, eventsPerUserDay: 0.25, scoreCustomers: 1_000_000, scoreRuns: 1, annualShare: 0, accounts: 0 },
  'usage: npm run bench -- model [--customers 10000] [--months 24] [--seed 7] [--events-per-user-day 0.25] [--score-customers 1000000] [--score-runs 1] [--annual-share 0] [--accounts 0]',
)
if (!(options.annualShare >= 0 && options.annualShare <= 1)) {
  process.stderr.write(`--annual-share must be in [0, 1], got ${options.annualShare}\n`)
  process.exit(2)
}
const DAY = 86_400_000
const { databaseUrl } = infraEndpoints()

const quality = await measureQuality()
const scoring = options.scoreCustomers > 0 ? await measureScoring(quality.gbdtArtifact) : null
delete quality.gbdtArtifact

const best = Math.max(quality.logistic.rocAuc ?? 0, quality.gbdt.rocAuc ?? 0)
const result = writeResult(
  'model',
  {
    ...quality,
    bestToOracle: quality.oracleRocAuc ? round(best / quality.oracleRocAuc) : null,
    scoring,
    targets: { bestToOracle: 0.95, scoreSecondsFor1M: 60 },
  },
  argv,
)
say('')
say(`holdout ROC AUC   logistic ${result.logistic.rocAuc}  gbdt ${result.gbdt.rocAuc}  oracle ${result.oracleRocAuc}  baseline ${result.baselineRocAuc}` +
  (result.xgboost ? `  xgboost ${result.xgboost.rocAuc ?? result.xgboost.error}` : '  xgboost n/a (python3-xgboost not installed)'))
say(`best / oracle     ${result.bestToOracle} (target >= 0.95)`)
say(`same rows         ${result.sameRows.rows} customer-months at ${result.sameRows.dates.join(', ')}: logistic ${result.sameRows.logisticRocAuc}  gbdt ${result.sameRows.gbdtRocAuc}  oracle ${result.sameRows.oracleRocAuc}  best / oracle ${result.sameRows.bestToOracle}`)
say(`train time        logistic ${result.logistic.trainSeconds} s, gbdt ${result.gbdt.trainSeconds} s`)
if (scoring) say(`scoring           ${scoring.customers} customers in ${scoring.medianSeconds} s (${scoring.customersPerSec}/s; target < 60 s for 1M)`)
say('wrote bench/results/model.json')

async function measureQuality() {
  const db = await createTempDatabase(databaseUrl, 'cw_bench_model')
  const pool = createPool({ connectionString: db.url, max: 6 })
  try {
    await migrate(pool)
    const simulation = simulateBusiness({
      customers: options.customers,
      months: options.months,
      seed: options.seed,
      eventsPerActiveUserPerDay: options.eventsPerUserDay,
      ...(options.annualShare > 0 ? { contracts: { annualShare: options.annualShare } } : {}),
      accounts: options.accounts > 0,
    })
    const show = progressLine('backfill')
    const started = Date.now()
    async function* lines() {
      for (const event of simulation.events()) yield JSON.stringify(event)
    }
    const loaded = await backfillLines(pool, lines(), { batchSize: 10_000, onProgress: ({ accepted }) => show(`${accepted} events (${Math.round(accepted / ((Date.now() - started) / 1000))}/s)`) })
    show(`${loaded.accepted} events in ${((Date.now() - started) / 1000).toFixed(0)} s`, true)

    const asOf = simulation.end
    const backend = await selectTensorflowBackend()
    const outcomes = {}
    for (const kind of ['logistic', 'gbdt']) {
      say(`training ${kind} as of ${asOf}${kind === 'logistic' ? ` (tfjs ${backend})` : ''}`)
      const t = Date.now()
      const outcome = await trainAndRegister(pool, { asOf, kind, activate: kind === 'gbdt', seed: options.seed })
      outcomes[kind] = {
        version: outcome.version,
        rocAuc: round(outcome.holdout.rocAuc),
        prAuc: round(outcome.holdout.prAuc),
        brier: round(outcome.holdout.brier),
        topDecileLift: round(outcome.holdout.topDecileLift),
        trainSeconds: round(outcome.trainMs / 1000),
        pipelineSeconds: round((Date.now() - t) / 1000),
        trainingRows: outcome.trainingRows,
        holdoutRows: outcome.holdoutRows,
        holdoutFrom: outcome.observationDates.at(-2),
        baselineRocAuc: round(outcome.baselineRocAuc),
      }
    }
    const oracle = oracleAuc(simulation, outcomes.gbdt.holdoutFrom, asOf)
    const sameRows = await sameRowsComparison(pool, simulation, outcomes, asOf)
    const xgboost = await xgboostAuc(pool, asOf)
    const record = await getModel(pool, outcomes.gbdt.version)
    const artifactRow = await pool.query('SELECT artifact FROM models WHERE version = $1', [outcomes.gbdt.version])
    return {
      customers: options.customers,
      months: options.months,
      seed: options.seed,
      eventsPerUserDay: options.eventsPerUserDay,
      events: loaded.accepted,
      asOf,
      logistic: outcomes.logistic,
      gbdt: outcomes.gbdt,
      baselineRocAuc: outcomes.gbdt.baselineRocAuc,
      oracleRocAuc: oracle.rocAuc,
      oracleRows: oracle.rows,
      sameRows,
      xgboost,
      gbdtArtifact: { record, artifact: artifactRow.rows[0].artifact },
    }
  } finally {
    await pool.end()
    await db.drop()
  }
}

// The simulator's own probabilities at the month starts inside the holdout window, against the
// same 90-day churn label: the best AUC any model could reach on this business.
function oracleAuc(simulation, holdoutFrom, asOf) {
  const rows = [...oracleRows(simulation, holdoutFrom, asOf).values()]
  return { rocAuc: round(rocAuc(rows.map((r) => r.label), rows.map((r) => r.probability))), rows: rows.length }
}

/** The simulator's true probability and 90-day label per `customerId|monthStart` (epoch ms) inside [holdoutFrom, asOf - 90 d]. */
function oracleRows(simulation, holdoutFrom, asOf) {
  const from = Date.parse(holdoutFrom)
  const to = Date.parse(asOf) - 90 * DAY
  const rows = new Map()
  for (const customer of simulation.truth()) {
    const ends = customer.churns.map((c) => Date.parse(c.endedAt))
    for (const month of customer.monthly) {
      if (!month.monthStart) continue
      const t = Date.parse(month.monthStart)
      if (t < from || t > to) continue
      const label = ends.some((e) => e > t && e <= t + 90 * DAY) ? 1 : 0
      rows.set(`${customer.customerId}|${t}`, { probability: month.trueChurnProbability90d, label, t })
    }
  }
  return rows
}

// The models and the oracle on identical rows: the customers active at each month start of the
// holdout window, with the label from stored history. The holdout above uses the trainer's own
// grid (every 30 days back from asOf - 90 d), which does not fall on month starts, so its AUC
// and the oracle's come from different rows; with a few hundred churners per date, that alone
// moves the ratio by about a hundredth either way.
async function sameRowsComparison(pool, simulation, outcomes, asOf) {
  const truth = oracleRows(simulation, outcomes.gbdt.holdoutFrom, asOf)
  const dates = [...new Set([...truth.values()].map((r) => r.t))]
  // The models' own features: actions chosen on other dates would give other columns (ADR 0013).
  const { rows: [trained] } = await pool.query('SELECT feature_names FROM models WHERE version = $1', [outcomes.gbdt.version])
  const set = await buildPointInTimeSet(pool, { asOf, intervalDays: 30, horizonDays: 90, dates, featureNames: trained.feature_names })
  const rows = set.examples.filter((e) => truth.has(`${e.customerId}|${e.observedAt}`))
  const labels = Uint8Array.from(rows, (e) => e.label)
  const labelMismatches = rows.filter((e) => truth.get(`${e.customerId}|${e.observedAt}`).label !== e.label).length
  const auc = {}
  for (const kind of ['logistic', 'gbdt']) {
    const { rows: artifacts } = await pool.query('SELECT artifact FROM models WHERE version = $1', [outcomes[kind].version])
    auc[kind] = round(rocAuc(labels, predict(deserializeModel(artifacts[0].artifact), rows.map((e) => e.features))))
  }
  const oracle = round(rocAuc(labels, rows.map((e) => truth.get(`${e.customerId}|${e.observedAt}`).probability)))
  return {
    dates: dates.map((d) => new Date(d).toISOString()),
    rows: rows.length,
    positives: labels.reduce((n, y) => n + y, 0),
    oracleRowsWithoutExample: truth.size - rows.length,
    labelMismatchesWithTruth: labelMismatches,
    logisticRocAuc: auc.logistic,
    gbdtRocAuc: auc.gbdt,
    oracleRocAuc: oracle,
    bestToOracle: round(Math.max(auc.logistic, auc.gbdt) / oracle),
  }
}

async function xgboostAuc(pool, asOf) {
  const python = '/usr/bin/python3'
  if (spawnSync(python, ['-c', 'import xgboost'], { stdio: 'ignore' }).status !== 0) return null
  const set = await buildPointInTimeSet(pool, { asOf, intervalDays: 30, horizonDays: 90 })
  const holdoutFrom = set.plan.dates.at(-2)
  const dir = mkdtempSync(join(tmpdir(), 'cw-xgb-'))
  const write = (name, rows) => writeFileSync(join(dir, name), rows.map((e) => [e.label, ...e.features].join(',')).join('\n'))
  write('train.csv', set.examples.filter((e) => e.observedAt < holdoutFrom))
  write('holdout.csv', set.examples.filter((e) => e.observedAt >= holdoutFrom))
  const code = `
import numpy as np, xgboost as xgb, json
tr = np.loadtxt('${dir}/train.csv', delimiter=',')
ho = np.loadtxt('${dir}/holdout.csv', delimiter=',')
params = {'objective': 'binary:logistic', 'max_depth': 4, 'eta': 0.1, 'subsample': 0.8, 'tree_method': 'hist', 'seed': 7}
booster = xgb.train(params, xgb.DMatrix(tr[:, 1:], label=tr[:, 0]), num_boost_round=300)
p = booster.predict(xgb.DMatrix(ho[:, 1:]))
y = ho[:, 0]
order = np.argsort(p, kind='mergesort')
ranks = np.empty(len(p)); ranks[order] = np.arange(1, len(p) + 1)
# average ranks for ties
_, inv, counts = np.unique(p, return_inverse=True, return_counts=True)
sums = np.zeros(len(counts)); np.add.at(sums, inv, ranks); ranks = (sums / counts)[inv]
pos = y == 1
auc = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
print(json.dumps({"rocAuc": round(float(auc), 4), "trainRows": int(len(tr)), "holdoutRows": int(len(ho))}))
`
  const out = spawnSync(python, ['-c', code], { encoding: 'utf8' })
  if (out.status !== 0) {
    say(`xgboost failed: ${out.stderr.slice(-500)}`)
    return { error: out.stderr.trim().split('\n').at(-1) }
  }
  return JSON.parse(out.stdout.trim().split('\n').at(-1))
}

async function measureScoring(model) {
  const db = await createTempDatabase(databaseUrl, 'cw_bench_score')
  const pool = createPool({ connectionString: db.url, max: 4 })
  const asOf = '2026-06-01T00:00:00Z'
  try {
    await migrate(pool)
    say(`scoring: generating ${options.scoreCustomers} customers with 90 days of usage in PostgreSQL`)
    const t = Date.now()
    await generateCustomers(pool, options.scoreCustomers, asOf)
    say(`scoring: generated in ${((Date.now() - t) / 1000).toFixed(0)} s`)
    await insertModel(pool, { ...model.record, trainedAsOf: model.record.trainedAsOf, artifact: model.artifact })
    await activateModel(pool, model.record.version)
    const runs = []
    for (let run = 0; run < options.scoreRuns; run++) {
      const out = join(mkdtempSync(join(tmpdir(), 'cw-score-')), 'scores.csv')
      const started = Date.now()
      await runCli(['score', '--as-of', asOf, '--out', out], { DATABASE_URL: db.url })
      runs.push((Date.now() - started) / 1000)
      say(`scoring run ${run + 1}: ${runs.at(-1).toFixed(1)} s`)
    }
    const medianSeconds = round(median(runs))
    return { customers: options.scoreCustomers, runsSeconds: runs.map(round), medianSeconds, customersPerSec: Math.round(options.scoreCustomers / medianSeconds) }
  } finally {
    await pool.end()
    await db.drop()
  }
}

// Set-based synthetic base: every customer started in 2025, ~8 usage buckets and 2 users over the
// 90 days before asOf, monthly invoices; enough for every feature to be computed from real rows.
async function generateCustomers(pool, n, asOf) {
  const chunk = 100_000
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk)
    await pool.query(
      `INSERT INTO customers (customer_id, first_seen_at, last_seen_at, status, plan, mrr, started_at)
       SELECT 'c' || lpad(i::text, 8, '0'), t, t, 'active', 'pro', 9900, t
       FROM generate_series($1::int, $2::int) i, LATERAL (SELECT timestamptz '2025-01-01' + (i % 300) * interval '1 day' AS t) s`,
      [start, end - 1],
    )
    await pool.query(
      `INSERT INTO billing_events (customer_id, occurred_at, event_id, type, mrr, amount, currency, plan)
       SELECT 'c' || lpad(i::text, 8, '0'), timestamptz '2025-01-01' + (i % 300) * interval '1 day', 'b' || i, 'subscription_started', 9900, NULL, 'USD', 'pro'
       FROM generate_series($1::int, $2::int) i
       UNION ALL
       SELECT 'c' || lpad(i::text, 8, '0'), $3::timestamptz - ((i % 28) + m * 30) * interval '1 day', 'p' || i || '-' || m, 'invoice_paid', NULL, 9900, 'USD', NULL
       FROM generate_series($1::int, $2::int) i, generate_series(0, 2) m`,
      [start, end - 1, asOf],
    )
    await pool.query(
      `INSERT INTO daily_activity (customer_id, day, action, event_count, quantity)
       SELECT 'c' || lpad(i::text, 8, '0'), ($3::date - 1 - ((i * 7 + k * 11) % 90)), (ARRAY['login','api_call','report_exported','dashboard_viewed'])[1 + (i + k) % 4], 1 + (i + k) % 9, 1 + (i + k) % 5
       FROM generate_series($1::int, $2::int) i, generate_series(0, 7) k
       ON CONFLICT DO NOTHING`,
      [start, end - 1, asOf],
    )
    await pool.query(
      `INSERT INTO daily_users (customer_id, day, user_id, event_count)
       SELECT 'c' || lpad(i::text, 8, '0'), ($3::date - 1 - ((i * 7 + k * 11) % 90)), 'u' || (k % 2), 1
       FROM generate_series($1::int, $2::int) i, generate_series(0, 3) k
       ON CONFLICT DO NOTHING`,
      [start, end - 1, asOf],
    )
    say(`scoring: ${end} customers generated`)
  }
  await pool.query('ANALYZE')
}

function runCli(args, env) {
  return new Promise((resolve, reject) => {
    // With the Node flags of the bin's shebang, as `npx churnwatch` runs it.
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the scoring process there.
    const bin = join(ROOT, 'services/cli/bin/churnwatch.js')
    const shebangFlags = readFileSync(bin, 'utf8').split('\n')[0].split(' ').filter((word) => word.startsWith('--'))
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
    const child = spawn(process.execPath, [...shebangFlags, ...profile, bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`churnwatch ${args[0]} exited ${code}`))))
  })
}

function round(x) {
  return x === null || x === undefined ? null : Math.round(x * 10_000) / 10_000
}
