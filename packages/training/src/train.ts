import { createHash } from 'node:crypto'
import {
  evaluate,
  predict,
  rocAuc,
  serializeModel,
  toTrainingSet,
  trainModel,
  type EvaluationReport,
  type Model,
  type TrainOptions,
} from '@churnwatch/model'
import type { TrainingExample } from '@churnwatch/features'
import { insertModel, type Pool } from '@churnwatch/storage'
import { activateModelVersion, chooseBandThresholds, type BandThresholds } from '@churnwatch/scoring'
import { buildPointInTimeSet } from './training-set.js'

export interface TrainRequest {
  asOf: string
  kind: 'logistic' | 'gbdt'
  activate?: boolean
  intervalDays?: number
  horizonDays?: number
  /** Observation dates at the end kept out of training for the reported evaluation. */
  holdoutDates?: number
  /** At most this many actions get features (default 40, chosen on training rows; ADR 0013). */
  trackedActionCount?: number
  seed?: number
  /** Extra model options (epochs, rounds, depth...). */
  modelOptions?: Partial<Omit<TrainOptions, 'kind'>>
  onProgress?: (event: { phase: 'reading' | 'training' | 'evaluating'; customers?: number; examples?: number }) => void
}

export interface TrainOutcome {
  version: string
  kind: TrainRequest['kind']
  /**
   * False when this exact model was already registered (training is deterministic: the same history,
   * asOf and options give the same artifact and so the same version); the stored record is kept.
   */
  created: boolean
  activated: boolean
  holdout: EvaluationReport
  /** ROC AUC of the one-rule baseline (days since last activity) on the same holdout. */
  baselineRocAuc: number | null
  /** The validation split's report, from the early-stopped model before its refit on train + validation rows. */
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
  const horizonDays = request.horizonDays ?? 90
  const set = await buildPointInTimeSet(pool, {
    asOf: request.asOf,
    intervalDays: request.intervalDays ?? 30,
    horizonDays,
    trackedActionCount: request.trackedActionCount,
    holdoutDates: request.holdoutDates ?? 2,
    onProgress: (p) => request.onProgress?.({ phase: 'reading', ...p }),
  })
  const holdoutDateCount = Math.min(request.holdoutDates ?? 2, Math.max(0, set.plan.dates.length - 1))
  const holdoutFrom = set.plan.dates[set.plan.dates.length - holdoutDateCount] ?? Number.POSITIVE_INFINITY
  const training = set.examples.filter((e) => e.observedAt < holdoutFrom)
  const holdout = set.examples.filter((e) => e.observedAt >= holdoutFrom)
  if (training.length === 0 || holdout.length === 0) {
    throw new Error(
      `not enough history before ${request.asOf} to train: ${set.plan.dates.length} observation dates, ` +
        `${training.length} training and ${holdout.length} holdout examples (training needs usage history that covers a 90-day lookback before the first observation date and ${horizonDays} days after the last, and at least two observation dates)`,
    )
  }
  request.onProgress?.({ phase: 'training', examples: training.length })
  const started = Date.now()
  const result = await trainModel(
    toTrainingSet(
      set.featureSet.names,
      training.map((e) => e.features),
      training.map((e) => e.label),
      training.map((e) => e.customerId),
    ),
    { ...request.modelOptions, kind: request.kind, seed: request.seed ?? 1 },
  )
  const trainMs = Date.now() - started
  request.onProgress?.({ phase: 'evaluating', examples: holdout.length })
  const { report, probabilities, baselineRocAuc } = evaluateHoldout(result.model, holdout)
  const bands = chooseBandThresholds(probabilities)
  const model: Model = { ...result.model, metrics: { holdout: report, baselineRocAuc, bands } }
  const artifact = serializeModel(model)
  const version = `${request.kind}-${request.asOf.slice(0, 10)}-${createHash('sha256').update(artifact).digest('hex').slice(0, 8)}`
  const observationDates = set.plan.dates.map((d) => new Date(d).toISOString())
  const { created } = await insertModel(pool, {
    version,
    kind: request.kind,
    trainedAsOf: request.asOf,
    featureNames: set.featureSet.names,
    training: {
      asOf: request.asOf,
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
    },
    metrics: { holdout: report, validation: result.validation, baselineRocAuc, bands },
    artifact,
  })
  // The same checked activation as the API's and `churnwatch models activate`.
  const activated = request.activate ? (await activateModelVersion(pool, version)) !== undefined : false
  return {
    version,
    kind: request.kind,
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

function evaluateHoldout(model: Model, holdout: TrainingExample[]) {
  const labels = Uint8Array.from(holdout, (e) => e.label)
  const probabilities = predict(model, holdout.map((e) => e.features))
  const silenceIndex = model.featureNames.indexOf('days_since_last_activity')
  const silence = holdout.map((e) => e.features[silenceIndex] ?? 0)
  return { report: evaluate(labels, probabilities), probabilities, baselineRocAuc: rocAuc(labels, silence) }
}
