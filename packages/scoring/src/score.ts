import { isChurnwatchError, type Driver, type RiskBand } from '@churnwatch/contract'
import {
  computeFeatures,
  FEATURE_REGISTRY,
  featureSetOf,
  sortBilling,
  isActiveAt,
  toFeatureArray,
  utcDay,
  type CustomerHistory,
  type FeatureRegistry,
  type FeatureSet,
  type FeatureVector,
} from '@churnwatch/features'
import { deserializeModel, explain, MODEL_ERROR_CODES, predict, type Model } from '@churnwatch/model'
import { assertFeaturesSupported, SCORING_ERROR_CODES } from './activation.js'
import { bandOf, type BandThresholds } from './bands.js'
import { getActiveModel, listCustomerIds, readCustomerHistories, type Queryable } from '@churnwatch/storage'

/**
 * The active model, ready to score: its feature set (the names it was trained on, resolved
 * against the code's definitions) and band thresholds come with it.
 */
export interface ActiveScorer {
  version: string
  model: Model
  featureSet: FeatureSet
  bands: BandThresholds
}

/** One customer's score as of `asOf`. Money in integer minor units. */
export interface ScoredCustomer {
  customerId: string
  asOf: string
  probability: number
  band: RiskBand
  drivers: Driver[]
  mrr: number
  /** probability x MRR, rounded to whole minor units. */
  revenueAtRisk: number
  plan: string | null
  vector: FeatureVector
}

const DEFAULT_BANDS: BandThresholds = { high: 0.5, medium: 0.2, rearm: 0.35 }

/**
 * A scorer for one model: rows are built from the model's own feature names, never from today's
 * list. Throws UnsupportedFeaturesError (CW_MODEL_UNSUPPORTED_FEATURES) when `registry` cannot
 * compute one of them.
 */
export function createActiveScorer(version: string, model: Model, bands: BandThresholds, registry: FeatureRegistry = FEATURE_REGISTRY): ActiveScorer {
  assertFeaturesSupported(version, model.featureNames, registry)
  return { version, model, featureSet: featureSetOf(model.featureNames, registry), bands }
}

/** True for an error loading a model that no retry fixes: an unreadable artifact, or features this code lacks. */
export function isUnscorableModel(err: unknown): boolean {
  return isChurnwatchError(err) && (err.code === SCORING_ERROR_CODES.unsupportedFeatures || err.code === MODEL_ERROR_CODES.invalidArtifact)
}

/**
 * Loads and deserialises the active model; undefined when no version is active. Throws
 * CW_MODEL_INVALID_ARTIFACT or CW_MODEL_UNSUPPORTED_FEATURES for a model this code cannot score.
 */
export async function loadActiveScorer(
  db: Queryable,
  bandsOverride?: Partial<BandThresholds>,
  registry: FeatureRegistry = FEATURE_REGISTRY,
): Promise<ActiveScorer | undefined> {
  const record = await getActiveModel(db)
  if (!record) return undefined
  const stored = (record.metrics.bands as BandThresholds | undefined) ?? DEFAULT_BANDS
  return createActiveScorer(record.version, deserializeModel(record.artifact), { ...stored, ...bandsOverride }, registry)
}

/**
 * Scores the customers active at `asOf` among `histories` in one prediction call (never row by
 * row), with the top drivers of each score. Inactive customers are returned apart.
 */
export function scoreHistories(
  scorer: ActiveScorer,
  histories: readonly CustomerHistory[],
  asOf: string,
): { scored: ScoredCustomer[]; inactive: string[] } {
  const asOfMs = Date.parse(asOf)
  const vectors: FeatureVector[] = []
  const inactive: string[] = []
  for (const history of histories) {
    const billing = sortBilling(history.billing.filter((e) => e.occurredAt <= asOfMs))
    if (!isActiveAt(billing, asOfMs)) inactive.push(history.customerId)
    else vectors.push(computeFeatures({ ...history, billing }, asOfMs, scorer.featureSet))
  }
  if (vectors.length === 0) return { scored: [], inactive }
  const rows = vectors.map((v) => toFeatureArray(v, scorer.featureSet))
  const probabilities = predict(scorer.model, rows)
  const drivers = explain(scorer.model, rows, 3, scorer.featureSet.registry)
  const scored = vectors.map((vector, i) => {
    const probability = probabilities[i] ?? 0
    const mrr = vector.values.mrr ?? 0
    return {
      customerId: vector.customerId,
      asOf: vector.asOf,
      probability,
      band: bandOf(probability, scorer.bands),
      drivers: drivers[i] ?? [],
      mrr,
      revenueAtRisk: Math.round(probability * mrr),
      plan: vector.plan,
      vector,
    }
  })
  return { scored, inactive }
}

/** Reads what scoring at `asOf` needs (90 days of usage before asOf's day, billing up to asOf). */
export async function readHistoriesForScoring(db: Queryable, customerIds: readonly string[], asOf: string): Promise<CustomerHistory[]> {
  const asOfMs = Date.parse(asOf)
  return readCustomerHistories(db, customerIds, {
    sinceDay: utcDay(asOfMs - 91 * 86_400_000),
    untilDay: utcDay(asOfMs - 86_400_000),
  })
}

/**
 * Scores every customer active at `asOf` in id-ordered chunks, handing each chunk to `onChunk`
 * (write a CSV, save scores...). The next chunks are read while the current one is scored, so the
 * database and the CPU work at the same time. Returns how many were scored.
 */
export async function scoreAllCustomersAt(
  db: Queryable,
  scorer: ActiveScorer,
  options: {
    asOf: string
    chunkSize?: number
    /** Chunks read ahead of the one being scored (each read takes up to three pool connections). */
    readAhead?: number
    onChunk: (scored: ScoredCustomer[], inactive: string[]) => Promise<void> | void
  },
): Promise<{ scored: number; inactive: number }> {
  const chunkSize = options.chunkSize ?? 5_000
  const readAhead = Math.max(1, options.readAhead ?? 2)
  // Id pages are listed one after another (each starts after the last id of the previous one);
  // the histories of several pages are read at once, so PostgreSQL stays busy while Node scores.
  let lastListed: Promise<string | null> = Promise.resolve(null)
  let exhausted = false
  const ahead: Array<Promise<{ ids: string[]; histories: CustomerHistory[] }>> = []
  const readNext = () => {
    const ids = lastListed.then(async (afterId) => {
      if (exhausted) return []
      const page = await listCustomerIds(db, { ...(afterId !== null ? { afterId } : {}), limit: chunkSize })
      // A short (or empty) page is the last: later pages are not listed, and never from the start.
      if (page.length < chunkSize) exhausted = true
      return page
    })
    lastListed = ids.then((page) => page.at(-1) ?? null)
    lastListed.catch(() => undefined)
    const chunk = ids.then(async (page) => ({ ids: page, histories: page.length === 0 ? [] : await readHistoriesForScoring(db, page, options.asOf) }))
    // Failures surface when the chunk is awaited below; this only keeps them from being reported twice.
    chunk.catch(() => undefined)
    ahead.push(chunk)
  }
  for (let i = 0; i < readAhead; i++) readNext()
  let scoredCount = 0
  let inactiveCount = 0
  for (;;) {
    const { ids, histories } = await (ahead.shift() as Promise<{ ids: string[]; histories: CustomerHistory[] }>)
    if (ids.length === 0) break
    readNext()
    const { scored, inactive } = scoreHistories(scorer, histories, options.asOf)
    scoredCount += scored.length
    inactiveCount += inactive.length
    await options.onChunk(scored, inactive)
  }
  return { scored: scoredCount, inactive: inactiveCount }
}
