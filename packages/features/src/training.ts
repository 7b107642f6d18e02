import type { CategoryValues } from './categorical.js'
import type { FeatureSet } from './feature-set.js'
import { computeFeatures, toFeatureArray } from './compute.js'
import type { BillingRecord, CustomerHistory } from './history.js'
import { isActiveAt, sortBilling } from './subscription.js'
import { dayNumber, MS_PER_DAY, toEpochMs } from './time.js'

export interface ObservationPlan {
  /** Observation instants (epoch ms, UTC midnights), oldest first. */
  dates: number[]
  horizonDays: number
}

/**
 * Observation dates every `intervalDays` back from `asOf - horizonDays` (floored to UTC
 * midnight) down to `earliest`: the latest date whose 90-day label window ends by asOf comes last,
 * so every label is fully observable at asOf.
 */
export function planObservations(options: {
  asOf: string | Date | number
  earliest: string | Date | number
  intervalDays?: number
  horizonDays?: number
}): ObservationPlan {
  const intervalDays = options.intervalDays ?? 30
  const horizonDays = options.horizonDays ?? 90
  const last = dayNumber(toEpochMs(options.asOf)) * MS_PER_DAY - horizonDays * MS_PER_DAY
  const earliest = toEpochMs(options.earliest)
  const dates: number[] = []
  for (let t = last; t >= earliest; t -= intervalDays * MS_PER_DAY) dates.push(t)
  return { dates: dates.reverse(), horizonDays }
}

/** 1 when the customer's subscription ends in (t, t + horizonDays], else 0 (the design's churn label). */
export function churnLabel(sortedBilling: readonly BillingRecord[], t: number, horizonDays: number): 0 | 1 {
  const end = t + horizonDays * MS_PER_DAY
  return sortedBilling.some((e) => e.type === 'subscription_ended' && e.occurredAt > t && e.occurredAt <= end) ? 1 : 0
}

export interface TrainingExample {
  customerId: string
  observedAt: number
  features: number[]
  plan: string | null
  /** Normalised categories at the observation, for choosing one-hot columns after the pass (chooseCategoryFeatures). */
  categories: CategoryValues
  label: 0 | 1
  /** Current MRR at the observation, for revenue-weighted evaluation. */
  mrr: number
}

/**
 * The point-in-time examples of one customer: for each observation date at which it is active,
 * features as of that date (the serving code) and the churn label over the following horizon.
 * Features never see events after their date; labels never see events after date + horizon.
 */
export function trainingExamples(history: CustomerHistory, plan: ObservationPlan, featureSet: FeatureSet): TrainingExample[] {
  const billing = sortBilling(history.billing)
  const examples: TrainingExample[] = []
  for (const t of plan.dates) {
    if (!isActiveAt(billing, t)) continue
    const vector = computeFeatures({ ...history, billing }, t, featureSet)
    examples.push({
      customerId: history.customerId,
      observedAt: t,
      features: toFeatureArray(vector, featureSet),
      plan: vector.plan,
      categories: vector.categories,
      label: churnLabel(billing, t, plan.horizonDays),
      mrr: vector.values.mrr ?? 0,
    })
  }
  return examples
}
