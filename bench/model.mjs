// `npm run bench -- model [--config both] [--customers 10000] [--months 24] [--seed 7]
//                        [--events-per-user-day 0.25] [--annual-share 0.45] [--accounts 1]
//                        [--kinds logistic,gbdt,auto] [--seeds 5] [--xgboost 1]
//                        [--score-customers 1000000] [--score-runs 1]`
//
// Configurations (`--config default|contract-heavy|both`, default both), each in its own fresh
// database: `default` is the simulator without contract terms or accounts (the figures before
// issue 12); `contract-heavy` turns contract terms on with `--annual-share` (default 0.45) of
// sign-ups on annual contracts (renewals, notice, 12 x MRR invoices) and, with `--accounts 1`
// (default), segments, owners and account events. Segments shift the share per customer: at 0.4
// the realised share of all customers was 0.396 (10,000 customers), so the default is 0.45 to
// keep the issue's "at least 40 % annual"; the results give the realised shares.
//
// Per configuration:
// 1. Simulates the business and backfills it into a fresh database. Trains every `--kinds` model
//    (`auto` is tried and reported as n/a with the trainer's error when trainAndRegister does not
//    take it) with the product's trainAndRegister as of `asOf`: the latest instant at or before the
//    simulation's end whose two holdout observation dates (asOf - 90 d and asOf - 120 d on the
//    trainer's 30-day grid) are both month starts, where the simulator's true probabilities live,
//    so that every model, XGBoost and the oracle are measured on the same holdout rows.
// 2. Rebuilds the trainer's point-in-time set (same options) and scores its holdout rows with each
//    stored model; every metric is @churnwatch/model's evaluate() (ROC AUC, PR AUC = average
//    precision, top-decile lift) plus ECE over its calibration table: 10 equal-width bins,
//    sum over bins of count / n x |mean predicted - observed rate|.
// 3. XGBoost (Debian's python3-xgboost; bench/xgboost_model.py states its fixed settings) trained
//    on exactly the trainer's training rows and features, early-stopped on 20 % of the training
//    customers, scored on the same holdout rows.
// 4. The oracle: the simulator's own 90-day probability at the holdout's month starts.
// 5. Seed spread: holdout ROC AUC of gbdt and auto over `--seeds` split seeds (seed .. seed + n - 1).
// Then scores `--score-customers` synthetic customers read from PostgreSQL with the real
// `churnwatch score` command (auto's model of the first configuration, else gbdt's).
// Writes bench/results/model.json.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { calibrationTable, deserializeModel, evaluate, predict } from '@churnwatch/model'
import { backfillLines } from '@churnwatch/ingest'
import { simulateBusiness } from '@churnwatch/simulator'
import { createPool, getModel, insertModel, activateModel, migrate } from '@churnwatch/storage'
import { buildPointInTimeSet, selectTensorflowBackend, trainAndRegister } from '@churnwatch/training'
import { createTempDatabase, infraEndpoints, median, parseFlags, progressLine, ROOT, say, writeResult } from './_lib.mjs'

const USAGE =
  'usage: npm run bench -- model [--config default|contract-heavy|both] [--customers 10000] [--months 24] [--seed 7] ' +
  '[--events-per-user-day 0.25] [--annual-share 0.45] [--accounts 1] [--kinds logistic,gbdt,auto] [--seeds 5] [--xgboost 1] ' +
  '[--score-customers 1000000] [--score-runs 1]'
const argv = process.argv.slice(2)
const options = parseFlags(
  argv,
  {
    config: 'both',
    customers: 10_000,
    months: 24,
    seed: 7,
    eventsPerUserDay: 0.25,
    annualShare: 0.45,
    accounts: 1,
    kinds: 'logistic,gbdt,auto',
    seeds: 5,
    xgboost: 1,
    scoreCustomers: 1_000_000,
    scoreRuns: 1,
  },
  USAGE,
)
const KINDS = ['logistic', 'gbdt', 'auto']
const kinds = options.kinds.split(',').filter(Boolean)
const configNames = options.config === 'both' ? ['default', 'contract-heavy'] : [options.config]
const problems = [
  ...(['default', 'contract-heavy', 'both'].includes(options.config) ? [] : [`--config must be default, contract-heavy or both, got ${options.config}`]),
  ...(options.annualShare >= 0 && options.annualShare <= 1 ? [] : [`--annual-share must be in [0, 1], got ${options.annualShare}`]),
  ...(kinds.length > 0 && kinds.every((k) => KINDS.includes(k)) ? [] : [`--kinds must list some of ${KINDS.join(',')}, got ${options.kinds}`]),
  ...(Number.isInteger(options.seeds) && options.seeds >= 1 ? [] : [`--seeds must be an integer >= 1, got ${options.seeds}`]),
]
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`)
  process.exit(2)
}
const CONFIGS = {
  default: { contracts: null, accounts: false },
  'contract-heavy': { contracts: { annualShare: options.annualShare }, accounts: options.accounts > 0 },
}
const TARGETS = { autoToOracleRocAuc: 0.95, rocAucBelowXgboost: 0.005, prAucBelowXgboost: 0.01, ece: 0.03, seedSpreadRocAuc: 0.01, scoreSecondsFor1M: 60 }
const DAY = 86_400_000
// TrainOutcome's fields before model selection: anything else an `auto` outcome carries is
// taken as the selection's report (what it chose and why) and kept in the results.
const OUTCOME_FIELDS = new Set(['version', 'kind', 'created', 'activated', 'holdout', 'baselineRocAuc', 'validation', 'bands', 'trainingRows', 'holdoutRows', 'customers', 'observationDates', 'trainMs'])

const { databaseUrl } = infraEndpoints()
const python = findXgboostPython()

const configs = {}
let scoringModel = null
for (const name of configNames) {
  say(`== configuration ${name}`)
  const started = Date.now()
  const loadAverage1mAtStart = round(loadavg()[0])
  const { figures, model } = await measureConfiguration(name, CONFIGS[name])
  configs[name] = { ...figures, seconds: round((Date.now() - started) / 1000), loadAverage1mAtStart }
  scoringModel ??= model
}
const scoring = options.scoreCustomers > 0 ? await measureScoring(scoringModel) : null
if (scoring) {
  scoring.model = scoringModel.record.version
  scoring.secondsFor1M = round((scoring.medianSeconds * 1_000_000) / scoring.customers)
  scoring.extrapolatedTo1M = scoring.customers !== 1_000_000
  scoring.met = scoring.secondsFor1M < TARGETS.scoreSecondsFor1M
}
const result = writeResult('model', { options: { ...options, kinds }, configs, scoring, targets: TARGETS }, argv)

say('')
for (const [name, c] of Object.entries(result.configs)) {
  say(`== ${name}: ${c.seconds} s (load average ${c.loadAverage1mAtStart} at start), ${c.customers} customers, ${c.events} events, asOf ${c.asOf}, annual share of customers ${c.annualShareOfCustomers ?? 0} (holdout's ${c.annualShareOfHoldoutCustomers ?? 0})`)
  say(`   holdout ${c.holdout.rows} rows (${c.holdout.positives} churners) at ${c.holdout.dates.join(', ')}; oracle on ${c.oracleRows.rows} of them`)
  say('   model        ROC AUC  PR AUC  lift@10%  ECE     | on oracle rows: ROC AUC  / oracle')
  for (const kind of [...kinds, 'xgboost', 'oracle']) {
    const m = c.models[kind]
    const o = c.oracleRows.models[kind]
    if (!m || m.error) {
      say(`   ${kind.padEnd(12)} n/a${m?.error ? ` (${m.error.slice(0, 100)})` : ''}`)
      continue
    }
    say(
      `   ${kind.padEnd(12)} ${fixed(m.rocAuc)}   ${fixed(m.prAuc)}  ${fixed(m.topDecileLift, 2).padStart(5)}     ${fixed(m.ece)}  |                 ${fixed(o?.rocAuc)}  ${fixed(o?.toOracle)}`,
    )
  }
  say(`   auto - xgboost: ROC AUC ${fixed(c.gaps.autoMinusXgboostRocAuc)}, PR AUC ${fixed(c.gaps.autoMinusXgboostPrAuc)}; auto / oracle ${fixed(c.gaps.autoToOracleRocAuc)}`)
  for (const [kind, s] of Object.entries(c.seedSpread)) {
    say(`   seed spread ${kind}: ${s.error ? `n/a (${s.error.slice(0, 100)})` : `ROC AUC ${s.rocAuc.map((x) => fixed(x)).join(' ')} -> ${fixed(s.rocAucSpread)}`}`)
  }
  say(`   gbdt against the same targets: ${Object.entries(c.gbdtAgainstTargets).map(([k, v]) => `${k} ${v === null ? 'n/a' : v ? 'met' : 'NOT met'}`).join('; ')}`)
  say(`   targets: ${Object.entries(c.targetsMet).map(([k, v]) => `${k} ${v === null ? 'n/a' : v ? 'met' : 'NOT met'}`).join('; ')}`)
}
if (scoring) {
  say(
    `scoring: ${scoring.customers} customers in ${scoring.medianSeconds} s (${scoring.customersPerSec}/s; churnwatch CPU ${scoring.cliCpuSeconds.join(', ')} s)` +
      `${scoring.extrapolatedTo1M ? `, ${scoring.secondsFor1M} s for 1M extrapolated` : ''}; target < 60 s for 1M: ${scoring.met ? 'met' : 'NOT met'}`,
  )
}
say('wrote bench/results/model.json')

async function measureConfiguration(name, config) {
  const db = await createTempDatabase(databaseUrl, 'cw_bench_model')
  const pool = createPool({ connectionString: db.url, max: 6 })
  try {
    await migrate(pool)
    const simulation = simulateBusiness({
      customers: options.customers,
      months: options.months,
      seed: options.seed,
      eventsPerActiveUserPerDay: options.eventsPerUserDay,
      ...(config.contracts ? { contracts: config.contracts } : {}),
      accounts: config.accounts,
    })
    const show = progressLine(`${name} backfill`)
    const started = Date.now()
    async function* lines() {
      for (const event of simulation.events()) yield JSON.stringify(event)
    }
    const loaded = await backfillLines(pool, lines(), {
      batchSize: 10_000,
      onProgress: ({ accepted }) => show(`${accepted} events (${Math.round(accepted / ((Date.now() - started) / 1000))}/s)`),
    })
    show(`${loaded.accepted} events in ${((Date.now() - started) / 1000).toFixed(0)} s`, true)
    const backfillSeconds = round((Date.now() - started) / 1000)

    const asOf = alignedAsOf(simulation.end)
    const backend = await selectTensorflowBackend()
    const trained = {}
    for (const kind of kinds) trained[kind] = await train(pool, name, kind, asOf, options.seed, backend)
    if (trained.auto && !trained.auto.error) trained.auto = checkAuto(trained.auto, trained.gbdt)
    const reference = Object.values(trained).find((t) => !t.error)
    if (!reference) throw new Error(`${name}: no model trained`)

    // The trainer's own point-in-time set, rebuilt with its options, split at its holdout.
    const showSet = progressLine(`${name} point-in-time set`)
    const set = await buildPointInTimeSet(pool, {
      asOf,
      intervalDays: 30,
      horizonDays: 90,
      onProgress: ({ customers, examples }) => showSet(`${customers} customers, ${examples} examples`),
    })
    const dates = set.plan.dates.map((d) => new Date(d).toISOString())
    if (dates.join() !== reference.outcome.observationDates.join()) {
      throw new Error(`${name}: the bench's observation dates differ from the trainer's (${dates.at(-1)} vs ${reference.outcome.observationDates.at(-1)})`)
    }
    const holdoutFrom = Date.parse(dates.at(-2))
    const training = set.examples.filter((e) => e.observedAt < holdoutFrom)
    const holdout = set.examples.filter((e) => e.observedAt >= holdoutFrom)
    const labels = Uint8Array.from(holdout, (e) => e.label)
    const names = set.featureSet.names

    const probabilities = {}
    const models = {}
    for (const kind of kinds) {
      const t = trained[kind]
      if (t.error) {
        models[kind] = { error: t.error }
        continue
      }
      probabilities[kind] = predict(t.model, columns(holdout, names, t.model.featureNames))
      const metrics = metricsOf(labels, probabilities[kind])
      models[kind] = {
        ...metrics,
        // The trainer's own report on its holdout: equal unless the bench's rows differ from the trainer's.
        trainerReport: { rocAuc: round(t.outcome.holdout.rocAuc), prAuc: round(t.outcome.holdout.prAuc), topDecileLift: round(t.outcome.holdout.topDecileLift), rows: t.outcome.holdoutRows },
        sameRowsAsTrainer: t.outcome.holdoutRows === holdout.length && t.outcome.trainingRows === training.length && Math.abs(t.outcome.holdout.rocAuc - metrics.rocAucExact) < 1e-9,
        version: t.outcome.version,
        ...(t.selection ? { selection: t.selection } : {}),
        chosenKind: t.model.kind,
        hyperparameters: t.model.hyperparameters,
        features: t.model.featureNames.length,
        trainSeconds: round(t.outcome.trainMs / 1000),
        pipelineSeconds: t.pipelineSeconds,
        trainingRows: t.outcome.trainingRows,
      }
      if (!models[kind].sameRowsAsTrainer) {
        say(`WARNING ${name}: ${kind}'s figures from the bench's rows differ from the trainer's own report (rows ${holdout.length} vs ${t.outcome.holdoutRows}, ROC AUC ${fixed(metrics.rocAucExact)} vs ${fixed(t.outcome.holdout.rocAuc)}): the trainer's point-in-time options changed; XGBoost's rows are the bench's`)
      }
    }

    if (python && options.xgboost > 0) {
      const xgb = runXgboost(name, training, holdout, names)
      if (xgb.error) models.xgboost = { error: xgb.error }
      else {
        probabilities.xgboost = xgb.probabilities
        models.xgboost = { ...metricsOf(labels, xgb.probabilities), ...xgb.summary }
      }
    } else {
      models.xgboost = { error: options.xgboost > 0 ? 'no python3 with xgboost (Debian: apt-get install python3-xgboost)' : 'skipped (--xgboost 0)' }
    }

    // The oracle on the holdout rows it has a probability for (month starts; all of them when asOf is aligned).
    const truth = oracleProbabilities(simulation, holdoutFrom, Date.parse(asOf) - 90 * DAY)
    const oracleIndex = []
    let labelMismatches = 0
    for (let i = 0; i < holdout.length; i++) {
      const row = truth.get(`${holdout[i].customerId}|${holdout[i].observedAt}`)
      if (!row) continue
      oracleIndex.push(i)
      if (row.label !== holdout[i].label) labelMismatches++
    }
    const oracleLabels = Uint8Array.from(oracleIndex, (i) => labels[i])
    const oracleProbs = oracleIndex.map((i) => truth.get(`${holdout[i].customerId}|${holdout[i].observedAt}`).probability)
    const oracle = metricsOf(oracleLabels, oracleProbs)
    if (oracleIndex.length === holdout.length) models.oracle = oracle
    else models.oracle = { ...oracle, note: `on ${oracleIndex.length} of ${holdout.length} holdout rows (see oracleRows)` }
    const onOracleRows = { oracle: { ...oracle, toOracle: 1 } }
    for (const [kind, probs] of Object.entries(probabilities)) {
      const m = metricsOf(oracleLabels, oracleIndex.map((i) => probs[i]))
      onOracleRows[kind] = { ...m, toOracle: ratio(m.rocAucExact, oracle.rocAucExact) }
    }

    // Seed spread: the same rows and holdout, only the split seed (validation/early stopping) changes.
    const seedSpread = {}
    for (const kind of ['gbdt', 'auto'].filter((k) => kinds.includes(k))) {
      if (trained[kind].error) {
        seedSpread[kind] = { error: trained[kind].error }
        continue
      }
      const runs = [{ seed: options.seed, rocAuc: models[kind].rocAuc, prAuc: models[kind].prAuc }]
      for (let s = 1; s < options.seeds; s++) {
        const t = await train(pool, name, kind, asOf, options.seed + s, backend)
        if (t.error) throw new Error(`${name}: ${kind} with seed ${options.seed + s} failed: ${t.error}`)
        runs.push({ seed: options.seed + s, rocAuc: round(t.outcome.holdout.rocAuc), prAuc: round(t.outcome.holdout.prAuc) })
      }
      const aucs = runs.map((r) => r.rocAuc)
      const prs = runs.map((r) => r.prAuc)
      seedSpread[kind] = {
        seeds: runs.map((r) => r.seed),
        rocAuc: aucs,
        prAuc: prs,
        rocAucSpread: round(Math.max(...aucs) - Math.min(...aucs)),
        prAucSpread: round(Math.max(...prs) - Math.min(...prs)),
      }
    }

    const auto = models.auto && !models.auto.error ? models.auto : null
    const xgb = models.xgboost && !models.xgboost.error ? models.xgboost : null
    const gaps = {
      autoMinusXgboostRocAuc: auto && xgb ? round(auto.rocAucExact - xgb.rocAucExact) : null,
      autoMinusXgboostPrAuc: auto && xgb ? round(auto.prAucExact - xgb.prAucExact) : null,
      autoToOracleRocAuc: auto ? onOracleRows.auto.toOracle : null,
      gbdtMinusXgboostRocAuc: models.gbdt && !models.gbdt.error && xgb ? round(models.gbdt.rocAucExact - xgb.rocAucExact) : null,
      gbdtMinusXgboostPrAuc: models.gbdt && !models.gbdt.error && xgb ? round(models.gbdt.prAucExact - xgb.prAucExact) : null,
      gbdtToOracleRocAuc: onOracleRows.gbdt?.toOracle ?? null,
    }
    const spread = seedSpread.auto && !seedSpread.auto.error ? seedSpread.auto : null
    const targetsMet = {
      // null: not measurable here (auto n/a, XGBoost missing, or fewer than two seeds).
      autoToOracle: auto ? gaps.autoToOracleRocAuc >= TARGETS.autoToOracleRocAuc : null,
      autoRocAucVsXgboost: gaps.autoMinusXgboostRocAuc === null ? null : gaps.autoMinusXgboostRocAuc >= -TARGETS.rocAucBelowXgboost,
      autoPrAucVsXgboost: gaps.autoMinusXgboostPrAuc === null ? null : gaps.autoMinusXgboostPrAuc >= -TARGETS.prAucBelowXgboost,
      autoEce: auto ? auto.ece <= TARGETS.ece : null,
      autoSeedSpread: spread && options.seeds >= 2 ? spread.rocAucSpread <= TARGETS.seedSpreadRocAuc : null,
    }
    // The same targets applied to the plain GBDT, for reference (auto's are the issue's).
    const gbdt = models.gbdt && !models.gbdt.error ? models.gbdt : null
    const gbdtSpread = seedSpread.gbdt && !seedSpread.gbdt.error ? seedSpread.gbdt : null
    const gbdtAgainstTargets = {
      toOracle: gbdt ? gaps.gbdtToOracleRocAuc >= TARGETS.autoToOracleRocAuc : null,
      rocAucVsXgboost: gaps.gbdtMinusXgboostRocAuc === null ? null : gaps.gbdtMinusXgboostRocAuc >= -TARGETS.rocAucBelowXgboost,
      prAucVsXgboost: gaps.gbdtMinusXgboostPrAuc === null ? null : gaps.gbdtMinusXgboostPrAuc >= -TARGETS.prAucBelowXgboost,
      ece: gbdt ? gbdt.ece <= TARGETS.ece : null,
      seedSpread: gbdtSpread && options.seeds >= 2 ? gbdtSpread.rocAucSpread <= TARGETS.seedSpreadRocAuc : null,
    }
    for (const m of Object.values(models)) {
      delete m.rocAucExact
      delete m.prAucExact
    }
    for (const m of Object.values(onOracleRows)) {
      delete m.rocAucExact
      delete m.prAucExact
    }

    const preferred = trained.auto && !trained.auto.error ? trained.auto : trained.gbdt && !trained.gbdt.error ? trained.gbdt : reference
    const record = await getModel(pool, preferred.outcome.version)
    const artifactRow = await pool.query('SELECT artifact FROM models WHERE version = $1', [preferred.outcome.version])
    const truthRows = simulation.truth()
    const annual = truthRows.filter((c) => c.interval === 'year').length
    const holdoutCustomers = new Set(holdout.map((e) => e.customerId))
    const holdoutTruth = truthRows.filter((c) => holdoutCustomers.has(c.customerId))
    const holdoutAnnual = holdoutTruth.filter((c) => c.interval === 'year').length
    return {
      model: { record, artifact: artifactRow.rows[0].artifact },
      figures: {
        simulator: { customers: options.customers, months: options.months, seed: options.seed, eventsPerUserDay: options.eventsPerUserDay, ...config },
        customers: options.customers,
        events: loaded.accepted,
        backfillSeconds,
        // Contract terms of every simulated customer, and of the customers in the holdout (active at its dates).
        annualShareOfCustomers: config.contracts ? round(annual / truthRows.length) : null,
        annualShareOfHoldoutCustomers: config.contracts ? round(holdoutAnnual / holdoutTruth.length) : null,
        asOf,
        features: names.length,
        training: { rows: training.length, positives: training.reduce((n, e) => n + e.label, 0), dates: dates.length - 2 },
        holdout: { rows: holdout.length, positives: labels.reduce((n, y) => n + y, 0), dates: dates.slice(-2) },
        models,
        baselineRocAuc: round(reference.outcome.baselineRocAuc),
        oracleRows: { rows: oracleIndex.length, holdoutRowsWithoutOracle: holdout.length - oracleIndex.length, labelMismatches, models: onOracleRows },
        gaps,
        seedSpread,
        targetsMet,
        gbdtAgainstTargets,
      },
    }
  } finally {
    await pool.end()
    await db.drop()
  }
}

/** trainAndRegister with progress lines; `{ error }` for `auto` when the trainer refuses or fails it. */
async function train(pool, config, kind, asOf, seed, backend) {
  say(`${config}: training ${kind} (seed ${seed}) as of ${asOf}${kind === 'logistic' ? ` (tfjs ${backend})` : ''}`)
  const show = progressLine(`${config} ${kind}`)
  const t = Date.now()
  try {
    const outcome = await trainAndRegister(pool, {
      asOf,
      kind,
      activate: false,
      seed,
      onProgress: ({ phase, customers, examples }) => show(`${phase}${customers !== undefined ? ` ${customers} customers` : ''}${examples !== undefined ? ` ${examples} examples` : ''}`),
    })
    const pipelineSeconds = round((Date.now() - t) / 1000)
    const { rows } = await pool.query('SELECT artifact FROM models WHERE version = $1', [outcome.version])
    const model = deserializeModel(rows[0].artifact)
    say(`${config}: ${kind} ${outcome.version} holdout ROC AUC ${fixed(outcome.holdout.rocAuc)} in ${pipelineSeconds} s`)
    return { outcome, model, pipelineSeconds }
  } catch (error) {
    if (kind !== 'auto') throw error
    const message = error instanceof Error ? error.message : String(error)
    say(`${config}: auto n/a: ${message}`)
    return { error: `trainAndRegister refused kind 'auto': ${message}` }
  }
}

/**
 * A trainer without model selection still accepts kind 'auto' (its options resolve any kind other
 * than logistic to GBDT) and trains the default GBDT: that is not `auto`, and is reported as n/a.
 * Real selection shows as a selection report in the outcome or a model unlike the default GBDT's.
 */
function checkAuto(auto, gbdt) {
  const selection = Object.fromEntries(Object.entries(auto.outcome).filter(([k]) => !OUTCOME_FIELDS.has(k)))
  const hash = (t) => t.outcome.version.split('-').at(-1)
  const sameAsDefaultGbdt = gbdt && !gbdt.error ? hash(auto) === hash(gbdt) : null
  if (Object.keys(selection).length > 0 || sameAsDefaultGbdt === false) return { ...auto, selection }
  const error =
    sameAsDefaultGbdt === true
      ? "trainAndRegister accepted kind 'auto' but trained the default GBDT (identical artifact, no selection report): no model selection in this tree"
      : "trainAndRegister accepted kind 'auto' without a selection report, and without gbdt in --kinds it cannot be told from the default GBDT"
  say(`auto n/a: ${error}`)
  return { error }
}

/** The feature rows in the model's own feature order (looked up by name in the set's). */
function columns(examples, setNames, modelNames) {
  const index = modelNames.map((n) => setNames.indexOf(n))
  const missing = modelNames.filter((_, k) => index[k] < 0)
  if (missing.length > 0) throw new Error(`the bench's point-in-time set has no ${missing.join(', ')}`)
  return examples.map((e) => index.map((k) => e.features[k]))
}

/** evaluate()'s figures plus ECE (10 equal-width bins, the calibration table evaluate() reports). */
function metricsOf(labels, probabilities) {
  const report = evaluate(labels, probabilities)
  const bins = calibrationTable(labels, probabilities, 10)
  const ece = report.n > 0 ? bins.reduce((sum, b) => sum + (b.count > 0 ? (b.count / report.n) * Math.abs(b.meanPredicted - b.observedRate) : 0), 0) : null
  return {
    rocAuc: round(report.rocAuc),
    prAuc: round(report.prAuc),
    topDecileLift: round(report.topDecileLift),
    ece: round(ece),
    brier: round(report.brier),
    logLoss: round(report.logLoss),
    rows: report.n,
    positives: report.positives,
    rocAucExact: report.rocAuc,
    prAucExact: report.prAuc,
  }
}

/**
 * The latest instant at or before `end` (a UTC midnight) whose holdout dates on the trainer's grid,
 * asOf - 90 d and asOf - 120 d, are both month starts (e.g. 2026-12-30 -> Sep 1 and Oct 1).
 */
function alignedAsOf(end) {
  const last = Math.floor(Date.parse(end) / DAY) * DAY
  for (let t = last; t > last - 400 * DAY; t -= DAY) {
    if (new Date(t - 90 * DAY).getUTCDate() === 1 && new Date(t - 120 * DAY).getUTCDate() === 1) return new Date(t).toISOString()
  }
  return new Date(last).toISOString()
}

/** The simulator's true 90-day probability and label per `customerId|monthStart` (epoch ms) in [from, to]. */
function oracleProbabilities(simulation, from, to) {
  const rows = new Map()
  for (const customer of simulation.truth()) {
    const ends = customer.churns.map((c) => Date.parse(c.endedAt))
    for (const month of customer.monthly) {
      const t = Date.parse(month.monthStart)
      if (t < from || t > to) continue
      const label = ends.some((e) => e > t && e <= t + 90 * DAY) ? 1 : 0
      rows.set(`${customer.customerId}|${t}`, { probability: month.trueChurnProbability90d, label })
    }
  }
  return rows
}

/** A python3 that imports xgboost: Debian's first (a pyenv python3 on PATH usually has none). */
function findXgboostPython() {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0) return candidate
  }
  return null
}

function runXgboost(config, training, holdout, names) {
  const dir = mkdtempSync(join(tmpdir(), 'cw-xgb-'))
  try {
    say(`${config}: xgboost (${python}) on ${training.length} training rows x ${names.length} features, ${holdout.length} holdout rows`)
    const groups = new Map()
    const group = (id) => groups.get(id) ?? groups.set(id, groups.size).get(id)
    writeFileSync(join(dir, 'train.csv'), training.map((e) => [group(e.customerId), e.label, ...e.features].join(',')).join('\n'))
    writeFileSync(join(dir, 'holdout.csv'), holdout.map((e) => [e.label, ...e.features].join(',')).join('\n'))
    const out = spawnSync(python, [join(ROOT, 'bench', 'xgboost_model.py'), dir, String(options.seed)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 2 ** 20,
    })
    if (out.status !== 0) return { error: `xgboost_model.py exited ${out.status}` }
    const summary = JSON.parse(out.stdout.trim().split('\n').at(-1))
    const probabilities = readFileSync(join(dir, 'holdout_predictions.txt'), 'utf8').split('\n').map(Number)
    if (probabilities.length !== holdout.length) return { error: `xgboost returned ${probabilities.length} predictions for ${holdout.length} rows` }
    return { summary, probabilities }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function ratio(a, b) {
  return a === null || b === null || b === 0 ? null : round(a / b)
}

function fixed(x, digits = 4) {
  return x === null || x === undefined ? 'n/a' : x.toFixed(digits)
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
    const cpu = []
    const load = []
    for (let run = 0; run < options.scoreRuns; run++) {
      const out = join(mkdtempSync(join(tmpdir(), 'cw-score-')), 'scores.csv')
      const started = Date.now()
      const cpuBefore = childrenCpuSeconds()
      load.push(loadavg()[0])
      await runCli(['score', '--as-of', asOf, '--out', out], { DATABASE_URL: db.url })
      runs.push((Date.now() - started) / 1000)
      cpu.push(childrenCpuSeconds() - cpuBefore)
      say(`scoring run ${run + 1}: ${runs.at(-1).toFixed(1)} s (churnwatch process CPU ${cpu.at(-1).toFixed(1)} s, load average ${load.at(-1).toFixed(1)} on ${cpus().length} cores)`)
    }
    const medianSeconds = round(median(runs))
    return {
      customers: options.scoreCustomers,
      runsSeconds: runs.map(round),
      medianSeconds,
      customersPerSec: Math.round(options.scoreCustomers / medianSeconds),
      // CPU time (user + system) of the `churnwatch score` process alone, not PostgreSQL's: on a
      // shared machine the wall time above mostly measures the other processes.
      cliCpuSeconds: cpu.map(round),
      loadAverage1mAtStart: load.map(round),
    }
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

/** User + system CPU seconds of this process's finished (waited-for) children, from /proc/self/stat; 0 where there is none. */
function childrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 16 and 17 of stat(5) (cutime, cstime), counted from the state field (3); Linux reports them in USER_HZ = 100.
    return (Number(fields[13]) + Number(fields[14])) / 100
  } catch {
    return 0
  }
}

function round(x) {
  return x === null || x === undefined ? null : Math.round(x * 10_000) / 10_000
}
