import {
  appendCategoryColumns,
  defineFeatureSet,
  featureSetOf,
  planObservations,
  trainingExamples,
  utcDay,
  type FeatureSet,
  type ObservationPlan,
  type CategorySelectionOptions,
  type TrainingExample,
} from '@churnwatch/features'
import { firstUsageDay, listCustomerIds, readCustomerHistories, storedEventRange, topActions, type Queryable } from '@churnwatch/storage'

export interface PointInTimeOptions {
  asOf: string
  intervalDays: number
  horizonDays: number
  trackedActionCount: number
  /** Explicit observation instants (UTC midnights, epoch ms) instead of one every intervalDays, e.g. to evaluate on another grid. */
  dates?: readonly number[]
  chunkSize?: number
  /** Which categories get a one-hot column (ADR 0012); defaults in CATEGORY_SELECTION_DEFAULTS. */
  categories?: CategorySelectionOptions
  /** Rows of exactly these features (a stored model's, to evaluate it on other dates) instead of choosing actions and categories. */
  featureNames?: readonly string[]
  onProgress?: (progress: { customers: number; examples: number }) => void
}

export interface PointInTimeSet {
  plan: ObservationPlan
  featureSet: FeatureSet
  examples: TrainingExample[]
  customers: number
}

/**
 * Builds the point-in-time training set from stored history as observable at `asOf`: observation
 * dates every `intervalDays` up to asOf minus the horizon, features from the serving code, labels
 * from the following horizon. Reads customers in id-ordered chunks so memory stays bounded by the
 * examples, not the raw history.
 */
export async function buildPointInTimeSet(db: Queryable, options: PointInTimeOptions): Promise<PointInTimeSet> {
  const [range, usageStart] = await Promise.all([storedEventRange(db), firstUsageDay(db)])
  if (!range || !usageStart) return { plan: { dates: [], horizonDays: options.horizonDays }, featureSet: defineFeatureSet([]), examples: [], customers: 0 }
  const asOfMs = Date.parse(options.asOf)
  // An observation needs a full 90-day usage lookback inside recorded history: before that, a
  // customer looks silent only because its usage was not recorded yet (e.g. imported billing).
  const earliest = Math.max(range.first.getTime(), Date.parse(`${usageStart}T00:00:00Z`) + 90 * 86_400_000)
  const plan = options.dates
    ? { dates: [...options.dates].sort((a, b) => a - b), horizonDays: options.horizonDays }
    : planObservations({ asOf: asOfMs, earliest, intervalDays: options.intervalDays, horizonDays: options.horizonDays })
  // Actions are chosen from what was observable at asOf, like everything else.
  const featureSet = defineFeatureSet(await topActions(db, { beforeDay: utcDay(asOfMs), limit: options.trackedActionCount }))
  const rowSet = options.featureNames ? featureSetOf(options.featureNames) : featureSet
  const untilDay = utcDay(asOfMs - 86_400_000)
  const examples: TrainingExample[] = []
  let customers = 0
  let afterId: string | undefined
  for (;;) {
    const ids = await listCustomerIds(db, { ...(afterId !== undefined ? { afterId } : {}), limit: options.chunkSize ?? 1_000 })
    if (ids.length === 0) break
    afterId = ids[ids.length - 1]
    const histories = await readCustomerHistories(db, ids, { untilDay })
    for (const history of histories) {
      const observable = { ...history, billing: history.billing.filter((e) => e.occurredAt <= asOfMs) }
      for (const example of trainingExamples(observable, plan, rowSet)) examples.push(example)
    }
    customers += ids.length
    options.onProgress?.({ customers, examples: examples.length })
  }
  // Categories are chosen from what the rows held (ADR 0012): rare and unseen ones encode as all zeros.
  return { plan, featureSet: options.featureNames ? rowSet : appendCategoryColumns(featureSet, examples, options.categories), examples, customers }
}
