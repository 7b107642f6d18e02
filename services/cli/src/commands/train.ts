import type { EvaluationReport } from '@churnwatch/model'
import { selectTensorflowBackend, trainAndRegister, type TrainOutcome } from '@churnwatch/training'
import type { Pool } from '@churnwatch/storage'
import type { Output } from '../output.js'

export interface TrainCommandOptions {
  asOf: string
  model: 'logistic' | 'gbdt'
  activate: boolean
  intervalDays: number
  holdoutDates: number
  seed: number
}

/** Trains from stored history as observable at asOf, prints the holdout evaluation, stores the model. */
export async function train(options: TrainCommandOptions, deps: { db: () => Promise<Pool>; output: Output }): Promise<TrainOutcome> {
  const pool = await deps.db()
  // Only the logistic model runs on tfjs; the GBDT works on typed arrays and needs no backend.
  const backend = options.model === 'logistic' ? await selectTensorflowBackend() : undefined
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
      } else {
        progress?.stop()
        progress = undefined
        deps.output.info(`${event.phase} on ${event.examples ?? 0} examples${event.phase === 'training' && backend ? ` (tfjs backend: ${backend})` : ''}`)
      }
    },
  })
  progress?.stop()
  deps.output.data(formatTrainOutcome(outcome))
  return outcome
}

/** The evaluation as a human-readable block: metrics, baseline, bands and the calibration table. */
export function formatTrainOutcome(o: TrainOutcome): string {
  const f = (v: number | null, digits = 3) => (v === null ? 'n/a' : v.toFixed(digits))
  const h: EvaluationReport = o.holdout
  const lines = [
    `model ${o.version} (${o.kind})${o.activated ? ' — activated' : ''}`,
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
