import { factsAsOf } from './as-of.js'
import { categoriesOf, type CategoryValues } from './categorical.js'
import { FEATURE_ERROR_CODES, featureError } from './errors.js'
import type { FeatureSet } from './feature-set.js'
import { DEFAULT_FEATURE_SET } from './feature-set.js'
import type { CustomerHistory } from './history.js'
import type { SubscriptionState } from './subscription.js'
import { MS_PER_DAY } from './time.js'

/** A customer's features as of one instant: every base feature of the registry plus every name of the feature set. */
export interface FeatureVector {
  customerId: string
  asOf: string
  values: Record<string, number>
  /** Categorical, kept apart from the numeric values. */
  plan: string | null
  /** Normalised categories as of asOf (segment, plan, industry, country), whichever columns the model has. */
  categories: CategoryValues
  subscription: SubscriptionState
  /** UTC day of the last usage before asOf, or null. */
  lastActiveDay: string | null
}

/**
 * Computes the feature vector of one customer as of `asOf`, from event time only, with the
 * definitions of `featureSet` (its registry's base features too, so stored vectors always carry
 * today's headline signals). Point-in-time rule: usage counts only from complete UTC days before
 * asOf's day, billing only from events at or before asOf.
 */
export function computeFeatures(
  history: CustomerHistory,
  asOf: string | Date | number,
  featureSet: FeatureSet = DEFAULT_FEATURE_SET,
): FeatureVector {
  const facts = factsAsOf(history, asOf)
  const values: Record<string, number> = {}
  for (const definition of featureSet.registry.base) values[definition.name] = definition.compute(facts)
  for (const definition of featureSet.definitions) values[definition.name] ??= definition.compute(facts)
  const { lastActiveDay } = facts.usage
  return {
    customerId: history.customerId,
    asOf: new Date(facts.asOfMs).toISOString(),
    values,
    plan: facts.subscription.plan,
    categories: categoriesOf(facts),
    subscription: facts.subscription,
    lastActiveDay: lastActiveDay === null ? null : new Date(lastActiveDay * MS_PER_DAY).toISOString().slice(0, 10),
  }
}

/**
 * The values of a feature vector in the feature set's order (what models consume). A name the
 * vector has no value for is a programmer error (the vector was computed with another set): it
 * throws CW_FEATURES_MISSING_VALUE rather than scoring a made-up 0.
 */
export function toFeatureArray(vector: FeatureVector, featureSet: FeatureSet = DEFAULT_FEATURE_SET): number[] {
  return featureSet.names.map((name) => {
    const value = vector.values[name]
    if (value === undefined) throw featureError(FEATURE_ERROR_CODES.missingValue, `feature vector of ${vector.customerId} has no value for "${name}"`)
    return value
  })
}
