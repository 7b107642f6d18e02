import type { EvaluationReport } from '@churnwatch/model'
import { selectTensorflowBackend, trainAndRegister, type StoredSelectionReport, type TrainKind, type TrainOutcome } from '@churnwatch/training'
import type { Pool } from '@churnwatch/storage'
import type { Output } from '../output.js'

export interface TrainCommandOptions {
  asOf: string
  model: TrainKind
  activate: boolean
  intervalDays: number
  holdoutDates: number
  seed: number
}

/** Trains from stored history as observable at asOf, prints the holdout evaluation, stores the model. */
export async function train(options: TrainCommandOptions, deps: { db: () => Promise<Pool>; output: Output }): Promise<TrainOutcome> {
  const pool = await deps.db()
  // Only the logistic model runs on tfjs (auto may train it); the GBDT works on typed arrays and needs no backend.
  const backend = options.model === 'gbdt' ? undefined : await selectTensorflowBackend()
  let progress: ReturnType<Output['progress']> | undefined
  const outcome = await trainAndRegister(pool, {
    asOf: options.asOf,
    kind: options.model,
    activate: options.activate,
    intervalDays: options.intervalDays,
    holdoutDates: options.holdoutDates,
    seed: options.seed,
    onProgress: (event) => {
      if (event.phase === 'reading') {
        progress ??= deps.output.progress('reading history', 0, 'customers')
        progress.update(event.customers ?? 0, `${event.examples ?? 0} examples`)
      } else if (event.phase === 'selecting' && event.selection) {
        // Open-ended: pruning after the first fold lowers the total while it runs.
        progress ??= deps.output.progress('selecting', 0, 'fits')
        const s = event.selection
        progress.update(s.done, `of ${s.total}: ${s.candidate}${s.fold > 0 ? `, fold ${s.fold}/${s.folds}` : ''}`)
      } else {
        progress?.stop()
        progress = undefined
        deps.output.info(`${event.phase} on ${event.examples ?? 0} examples${event.phase !== 'evaluating' && backend ? ` (tfjs backend: ${backend})` : ''}`)
      }
    },
  })
  progress?.stop()
  deps.output.data(formatTrainOutcome(outcome))
  return outcome
}

/**
 * What auto compared and why it chose: one row per candidate (best mean validation log loss
 * first, the chosen one starred), fold means of the criterion and of PR AUC, ROC AUC and lift.
 */
export function formatSelection(s: StoredSelectionReport): string[] {
  const f = (v: number | null, digits = 3) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits))
  const ranked = [...s.candidates].sort((a, b) => Number(a.pruned) - Number(b.pruned) || a.mean.logLoss - b.mean.logLoss)
  const width = Math.max(...ranked.map((c) => c.name.length), 'candidate'.length)
  const folds = s.folds
    .map((fold) => `${fold.validationDate?.slice(0, 10) ?? 'grouped'} (${fold.validationRows} rows, ${fold.validationPositives} churned)`)
    .join(', ')
  return [
    `model selection (--model auto) on validation folds of the training rows only, never the holdout`,
    `  ${s.strategyNote}: ${folds}`,
    `  criterion: ${s.criterion}; rounds (GBDT trees, logistic epochs): early stopping per fold, GBDT at least ${s.minRounds}; the final fit uses the folds' median`,
    `    ${'candidate'.padEnd(width)}  rounds  log loss  PR AUC  ROC AUC  lift`,
    ...ranked.map((c) => {
      const mark = c.name === s.chosen.name ? '  * ' : '    '
      const rounds = c.pruned ? 'pruned' : String(c.rounds)
      const m = c.mean
      return `${mark}${c.name.padEnd(width)}  ${rounds.padStart(6)}  ${f(m.logLoss, 4).padStart(8)}  ${f(m.prAuc).padStart(6)}  ${f(m.rocAuc).padStart(7)}  ${f(m.topDecileLift, 2).padStart(4)}`
    }),
    ...(ranked.some((c) => c.pruned) ? [`    (pruned: stopped after the first fold, more than ${Math.round(s.pruneMargin * 100)} % worse than the best; its figures are that fold's)`] : []),
    `  why: ${s.reason}`,
  ]
}

/** The evaluation as a human-readable block: metrics, baseline, bands and the calibration table. */
export function formatTrainOutcome(o: TrainOutcome): string {
  const f = (v: number | null, digits = 3) => (v === null ? 'n/a' : v.toFixed(digits))
  const h: EvaluationReport = o.holdout
  const lines = [
    `model ${o.version} (${o.kind}${o.requestedKind === 'auto' ? ', chosen by --model auto' : ''})${o.activated ? ' — activated' : ''}`,
    ...(o.created
      ? []
      : ['already registered: the same history and options gave the same model, so the stored version is reused (its record is unchanged)']),
    `trained on ${o.trainingRows} observations of ${o.customers} customers in ${(o.trainMs / 1000).toFixed(1)} s; ` +
      `holdout: ${o.holdoutRows} observations on the last ${o.observationDates.length > 0 ? 'dates' : ''} up to ${o.observationDates.at(-1)?.slice(0, 10) ?? '-'}`,
    '',
    'holdout evaluation (time-based)',
    `  ROC AUC            ${f(h.rocAuc)}   (one-rule baseline, days since last activity: ${f(o.baselineRocAuc)})`,
    `  PR AUC             ${f(h.prAuc)}   (base churn rate ${f(h.baseRate)})`,
    `  Brier score        ${f(h.brier, 4)}`,
    `  log loss           ${f(h.logLoss, 4)}`,
    `  top-decile lift    ${f(h.topDecileLift, 2)}   (precision ${f(h.topDecilePrecision)} at p >= ${f(h.topDecileThreshold)})`,
    '',
    ...(o.selection === null ? [] : [...formatSelection(o.selection), '']),
    `bands: high >= ${o.bands.high}, medium >= ${o.bands.medium}, risk alerts re-arm below ${o.bands.rearm}`,
    '',
    'calibration (equal-width bins)',
    '  bin          count  predicted  observed',
    ...h.calibration
      .filter((b) => b.count > 0)
      .map(
        (b) =>
          `  ${b.lower.toFixed(1)}-${b.upper.toFixed(1)}    ${String(b.count).padStart(6)}  ${f(b.meanPredicted).padStart(9)}  ${f(b.observedRate).padStart(8)}`,
      ),
    '',
  ]
  return lines.join('\n')
}
