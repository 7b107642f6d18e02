import { createHash } from 'node:crypto'
import {
  evaluate,
  predict,
  rocAuc,
  selectModel,
  serializeModel,
  toTrainingSet,
  trainModel,
  type EvaluationReport,
  type Model,
  type SelectionOptions,
  type SelectionProgress,
  type SelectionReport,
  type TrainOptions,
  type TrainResult,
} from '@churnwatch/model'
import type { TrainingExample } from '@churnwatch/features'
import { insertModel, type Pool } from '@churnwatch/storage'
import { activateModelVersion, chooseBandThresholds, type BandThresholds } from '@churnwatch/scoring'
import { buildPointInTimeSet, holdoutStart, type PointInTimeSet } from './training-set.js'

/** `auto` chooses the family and hyperparameters on validation folds of the training rows (ADR 0011). */
export type TrainKind = 'logistic' | 'gbdt' | 'auto'

export interface TrainProgress {
  phase: 'reading' | 'training' | 'selecting' | 'evaluating'
  customers?: number
  examples?: number
  /** During `selecting` (kind auto): the fold fit just finished. */
  selection?: SelectionProgress
}

export interface TrainRequest {
  asOf: string
  kind: TrainKind
  activate?: boolean
  intervalDays?: number
  horizonDays?: number
  /** Observation dates at the end kept out of training for the reported evaluation. */
  holdoutDates?: number
  /** At most this many actions get features (default 40, chosen on training rows; ADR 0013). */
  trackedActionCount?: number
  seed?: number
  /** Extra model options (epochs, rounds, depth...) for logistic or gbdt. */
  modelOptions?: Partial<Omit<TrainOptions, 'kind'>>
  /** Selection options for auto (folds, minRounds, candidates...); the seed is `seed`. */
  selectionOptions?: Omit<SelectionOptions, 'seed' | 'onProgress'>
  onProgress?: (event: TrainProgress) => void
}

export interface TrainOutcome {
  version: string
  /** The stored model's family: the requested one, or the one auto chose. */
  kind: Model['kind']
  requestedKind: TrainKind
  /** What auto compared and why it chose (fold times as ISO dates); null for logistic or gbdt. */
  selection: StoredSelectionReport | null
  /**
   * False when this exact model was already registered (training is deterministic: the same history,
   * asOf and options give the same artifact and so the same version); the stored record is kept.
   */
  created: boolean
  activated: boolean
  holdout: EvaluationReport
  /** ROC AUC of the one-rule baseline (days since last activity) on the same holdout. */
  baselineRocAuc: number | null
  /**
   * logistic/gbdt: the validation split's report, from the early-stopped model before its refit;
   * auto: the chosen candidate's out-of-fold predictions pooled over the validation folds.
   */
  validation: EvaluationReport
  bands: BandThresholds
  trainingRows: number
  holdoutRows: number
  customers: number
  observationDates: string[]
  trainMs: number
}

/**
 * Trains a model from stored history as observable at `asOf`, evaluates it on a time-based
 * holdout (the last observation dates), stores it in the registry with its metrics and band
 * thresholds, and activates it when asked.
 */
export async function trainAndRegister(pool: Pool, request: TrainRequest): Promise<TrainOutcome> {
  const data = await readTrainingData(pool, request)
  const { training, holdout, holdoutFrom, horizonDays, set } = data
  request.onProgress?.({ phase: request.kind === 'auto' ? 'selecting' : 'training', examples: training.length })
  const started = Date.now()
  const result = await fitTraining(data, request, request.seed ?? 1)
  const trainMs = Date.now() - started
  request.onProgress?.({ phase: 'evaluating', examples: holdout.length })
  const { report, probabilities, baselineRocAuc } = evaluateHoldout(result.model, holdout)
  const bands = chooseBandThresholds(probabilities)
  const model: Model = { ...result.model, metrics: { holdout: report, baselineRocAuc, bands } }
  const artifact = serializeModel(model)
  const version = `${model.kind}-${request.asOf.slice(0, 10)}-${createHash('sha256').update(artifact).digest('hex').slice(0, 8)}`
  const observationDates = set.plan.dates.map((d) => new Date(d).toISOString())
  const selection = result.selection === null ? null : storedSelection(result.selection)
  const { created } = await insertModel(pool, {
    version,
    kind: model.kind,
    trainedAsOf: request.asOf,
    featureNames: set.featureSet.names,
    training: {
      asOf: request.asOf,
      requestedKind: request.kind,
      horizonDays,
      intervalDays: request.intervalDays ?? 30,
      observationDates,
      holdoutFrom: new Date(holdoutFrom).toISOString(),
      trackedActions: set.featureSet.trackedActions,
      actionSelection: set.actionSelection,
      customers: set.customers,
      trainingRows: training.length,
      holdoutRows: holdout.length,
      trainMs,
      summary: result.trainingLog.summary,
      classWeights: result.trainingLog.classWeights,
      stoppedEarly: result.trainingLog.stoppedEarly,
      hyperparameters: model.hyperparameters,
      selection,
    },
    metrics: { holdout: report, validation: result.validation, baselineRocAuc, bands },
    artifact,
  })
  // The same checked activation as the API's and `churnwatch models activate`.
  const activated = request.activate ? (await activateModelVersion(pool, version)) !== undefined : false
  return {
    version,
    kind: model.kind,
    requestedKind: request.kind,
    selection,
    created,
    activated,
    holdout: report,
    baselineRocAuc,
    validation: result.validation,
    bands,
    trainingRows: training.length,
    holdoutRows: holdout.length,
    customers: set.customers,
    observationDates,
    trainMs,
  }
}

/** One seed's run in holdoutSpreadAcrossSeeds. */
export interface SeedRun {
  seed: number
  kind: Model['kind']
  /** The candidate auto chose (null for logistic or gbdt). */
  chosen: string | null
  rocAuc: number | null
  prAuc: number | null
  topDecileLift: number | null
  trainMs: number
}

export interface SeedSpread {
  requestedKind: TrainKind
  trainingRows: number
  holdoutRows: number
  holdoutPositives: number
  runs: SeedRun[]
  /** max - min over the seeds (null when a seed's metric is undefined). */
  spread: { rocAuc: number | null; prAuc: number | null; topDecileLift: number | null }
}

/**
 * The bench's stability figure: reads the point-in-time set once, then trains with each seed
 * (GBDT row subsampling, auto's customer partition and calibration slice, the logistic/gbdt
 * split) and evaluates every model on the same time-based holdout; nothing is registered.
 */
export async function holdoutSpreadAcrossSeeds(
  pool: Pool,
  request: Omit<TrainRequest, 'seed' | 'activate'>,
  seeds: readonly number[] = [1, 2, 3, 4, 5],
): Promise<SeedSpread> {
  const data = await readTrainingData(pool, request)
  const runs: SeedRun[] = []
  for (const seed of seeds) {
    request.onProgress?.({ phase: request.kind === 'auto' ? 'selecting' : 'training', examples: data.training.length })
    const started = Date.now()
    const result = await fitTraining(data, request, seed)
    const trainMs = Date.now() - started
    const { report } = evaluateHoldout(result.model, data.holdout)
    runs.push({
      seed,
      kind: result.model.kind,
      chosen: result.selection?.chosen.name ?? null,
      rocAuc: report.rocAuc,
      prAuc: report.prAuc,
      topDecileLift: report.topDecileLift,
      trainMs,
    })
  }
  const range = (values: (number | null)[]): number | null =>
    values.length === 0 || values.some((v) => v === null) ? null : Math.max(...(values as number[])) - Math.min(...(values as number[]))
  let holdoutPositives = 0
  for (const e of data.holdout) holdoutPositives += e.label
  return {
    requestedKind: request.kind,
    trainingRows: data.training.length,
    holdoutRows: data.holdout.length,
    holdoutPositives,
    runs,
    spread: { rocAuc: range(runs.map((r) => r.rocAuc)), prAuc: range(runs.map((r) => r.prAuc)), topDecileLift: range(runs.map((r) => r.topDecileLift)) },
  }
}

/** The selection report as stored in the model record: fold times as ISO dates. */
export type StoredSelectionReport = Omit<SelectionReport, 'folds'> & {
  folds: Array<Omit<SelectionReport['folds'][number], 'validationTime'> & { validationDate: string | null }>
}

function storedSelection(report: SelectionReport): StoredSelectionReport {
  return {
    ...report,
    folds: report.folds.map(({ validationTime, ...fold }) => ({
      validationDate: validationTime === null ? null : new Date(validationTime).toISOString(),
      ...fold,
    })),
  }
}

interface TrainingData {
  set: PointInTimeSet
  /** Rows before the holdout: the only ones training (and auto's selection) ever sees. */
  training: TrainingExample[]
  holdout: TrainingExample[]
  holdoutFrom: number
  horizonDays: number
}

// The point-in-time set split in time: the last holdoutDates observation dates are the holdout.
async function readTrainingData(pool: Pool, request: Omit<TrainRequest, 'seed' | 'activate'>): Promise<TrainingData> {
  const horizonDays = request.horizonDays ?? 90
  const set = await buildPointInTimeSet(pool, {
    asOf: request.asOf,
    intervalDays: request.intervalDays ?? 30,
    horizonDays,
    trackedActionCount: request.trackedActionCount,
    holdoutDates: request.holdoutDates ?? 2,
    onProgress: (p) => request.onProgress?.({ phase: 'reading', ...p }),
  })
  // The same cut action selection made: it never saw these dates.
  const holdoutFrom = holdoutStart(set.plan.dates, request.holdoutDates ?? 2)
  const training = set.examples.filter((e) => e.observedAt < holdoutFrom)
  const holdout = set.examples.filter((e) => e.observedAt >= holdoutFrom)
  if (training.length === 0 || holdout.length === 0) {
    throw new Error(
      `not enough history before ${request.asOf} to train: ${set.plan.dates.length} observation dates, ` +
        `${training.length} training and ${holdout.length} holdout examples (training needs usage history that covers a 90-day lookback before the first observation date and ${horizonDays} days after the last, and at least two observation dates)`,
    )
  }
  return { set, training, holdout, holdoutFrom, horizonDays }
}

// Trains on the pre-holdout rows only: the requested family, or auto's selection over them.
async function fitTraining(
  data: TrainingData,
  request: Pick<TrainRequest, 'kind' | 'modelOptions' | 'selectionOptions' | 'onProgress'>,
  seed: number,
): Promise<TrainResult & { selection: SelectionReport | null }> {
  const { training } = data
  const trainingSet = toTrainingSet(
    data.set.featureSet.names,
    training.map((e) => e.features),
    training.map((e) => e.label),
    training.map((e) => e.customerId),
  )
  if (request.kind === 'auto') {
    return selectModel(trainingSet, Float64Array.from(training, (e) => e.observedAt), {
      ...request.selectionOptions,
      seed,
      onProgress: (selection) => request.onProgress?.({ phase: 'selecting', examples: training.length, selection }),
    })
  }
  const result = await trainModel(trainingSet, { ...request.modelOptions, kind: request.kind, seed })
  return { ...result, selection: null }
}

function evaluateHoldout(model: Model, holdout: TrainingExample[]) {
  const labels = Uint8Array.from(holdout, (e) => e.label)
  const probabilities = predict(model, holdout.map((e) => e.features))
  const silenceIndex = model.featureNames.indexOf('days_since_last_activity')
  const silence = holdout.map((e) => e.features[silenceIndex] ?? 0)
  return { report: evaluate(labels, probabilities), probabilities, baselineRocAuc: rocAuc(labels, silence) }
}
