import {
  appendCategoryColumns,
  createSelectingCollector,
  DEFAULT_ACTION_CAP,
  DEFAULT_ACTION_SELECTION,
  defineFeatureSet,
  featureSetOf,
  planObservations,
  trainingExamples,
  utcDay,
  type ActionSelection,
  type CategorySelectionOptions,
  type FeatureSet,
  type ObservationPlan,
  type TrainingExample,
} from '@churnwatch/features'
import { firstUsageDay, listCustomerIds, readCustomerHistories, storedEventRange, type Queryable } from '@churnwatch/storage'

export interface PointInTimeOptions {
  asOf: string
  intervalDays: number
  horizonDays: number
  /** At most this many actions get their own features (default DEFAULT_ACTION_CAP, 40; ADR 0013). */
  trackedActionCount?: number
  /** Observation dates at the end that the caller holds out: action selection never sees them (default 2, the trainer's). */
  holdoutDates?: number
  /** Build exactly these features (e.g. a stored model's, to evaluate it on other dates) instead of choosing actions and categories. */
  featureNames?: readonly string[]
  /** Which categories get a one-hot column (ADR 0012); defaults in CATEGORY_SELECTION_DEFAULTS. */
  categories?: CategorySelectionOptions
  /** Explicit observation instants (UTC midnights, epoch ms) instead of one every intervalDays, e.g. to evaluate on another grid. */
  dates?: readonly number[]
  chunkSize?: number
  onProgress?: (progress: { customers: number; examples: number }) => void
}

export interface PointInTimeSet {
  plan: ObservationPlan
  featureSet: FeatureSet
  examples: TrainingExample[]
  customers: number
  /** How the tracked actions were chosen; null when `featureNames` fixed them. */
  actionSelection: ActionSelection | null
}

/** The first held-out observation date: the last `holdoutDates` dates, always leaving one for training. */
export function holdoutStart(dates: readonly number[], holdoutDates: number): number {
  const count = Math.min(holdoutDates, Math.max(0, dates.length - 1))
  return dates[dates.length - count] ?? Number.POSITIVE_INFINITY
}

/**
 * Builds the point-in-time training set from stored history as observable at `asOf`: observation
 * dates every `intervalDays` up to asOf minus the horizon, features from the serving code, labels
 * from the following horizon. The tracked actions are chosen from the training rows (every action
 * used, up to the cap, rare ones kept when they carry signal; never from the held-out dates).
 * Reads customers in id-ordered chunks so memory stays bounded by the examples, not the raw history.
 */
export async function buildPointInTimeSet(db: Queryable, options: PointInTimeOptions): Promise<PointInTimeSet> {
  const [range, usageStart] = await Promise.all([storedEventRange(db), firstUsageDay(db)])
  const fixed = options.featureNames ? featureSetOf(options.featureNames) : null
  if (!range || !usageStart) {
    return { plan: { dates: [], horizonDays: options.horizonDays }, featureSet: fixed ?? defineFeatureSet([]), examples: [], customers: 0, actionSelection: null }
  }
  const asOfMs = Date.parse(options.asOf)
  // An observation needs a full 90-day usage lookback inside recorded history: before that, a
  // customer looks silent only because its usage was not recorded yet (e.g. imported billing).
  const earliest = Math.max(range.first.getTime(), Date.parse(`${usageStart}T00:00:00Z`) + 90 * 86_400_000)
  const plan = options.dates
    ? { dates: [...options.dates].sort((a, b) => a - b), horizonDays: options.horizonDays }
    : planObservations({ asOf: asOfMs, earliest, intervalDays: options.intervalDays, horizonDays: options.horizonDays })
  const collector = fixed
    ? null
    : createSelectingCollector({
        selectBefore: holdoutStart(plan.dates, options.holdoutDates ?? 2),
        rule: { ...DEFAULT_ACTION_SELECTION, cap: options.trackedActionCount ?? DEFAULT_ACTION_CAP },
      })
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
      if (collector) collector.add(observable, plan)
      else if (fixed !== null) for (const example of trainingExamples(observable, plan, fixed)) examples.push(example)
    }
    customers += ids.length
    options.onProgress?.({ customers, examples: collector ? collector.size : examples.length })
  }
  if (collector === null) return { plan, featureSet: fixed ?? defineFeatureSet([]), examples, customers, actionSelection: null }
  const chosen = collector.finish()
  // Categories are chosen from what the rows held, never from labels (ADR 0012): rare and unseen ones encode as all zeros.
  const featureSet = appendCategoryColumns(chosen.featureSet, chosen.examples, options.categories)
  return { plan, featureSet, examples: chosen.examples, customers, actionSelection: chosen.selection }
}
