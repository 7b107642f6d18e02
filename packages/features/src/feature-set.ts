import type { DailyActivity } from './history.js'
import { ACTION_FEATURE_PREFIX, actionFeatureName, describeFeature, FEATURE_REGISTRY, unsupportedFeatures, type FeatureDefinition, type FeatureRegistry } from './definitions.js'
import { FEATURE_ERROR_CODES, featureError } from './errors.js'
import { actionLifetimeFeatureName, actionPerMonthFeatureName } from './lifetime.js'

/**
 * The ordered features a model is trained on and scored with, resolved against a registry.
 * A trained model keeps `names`; scoring rebuilds the set from those names, never from today's list.
 */
export interface FeatureSet {
  names: readonly string[]
  /** The actions of the `action_30d:` members, in order. */
  trackedActions: readonly string[]
  /** The definition of each name, in order. */
  definitions: readonly FeatureDefinition[]
  /** Where the names were resolved: vectors also hold every base feature of it. */
  registry: FeatureRegistry
}

/** A feature set for exactly these names, in this order; throws CW_FEATURES_UNKNOWN_FEATURE naming every name the registry lacks. */
export function featureSetOf(names: readonly string[], registry: FeatureRegistry = FEATURE_REGISTRY): FeatureSet {
  const unknown = unsupportedFeatures(names, registry)
  if (unknown.length > 0) throw featureError(FEATURE_ERROR_CODES.unknownFeature, `no definition for feature(s): ${unknown.join(', ')}`)
  if (new Set(names).size !== names.length) throw featureError(FEATURE_ERROR_CODES.unknownFeature, 'feature names repeat')
  return {
    names: [...names],
    trackedActions: names.filter((n) => n.startsWith(ACTION_FEATURE_PREFIX)).map((n) => n.slice(ACTION_FEATURE_PREFIX.length)),
    definitions: names.map((name) => describeFeature(name, registry) as FeatureDefinition),
    registry,
  }
}

/**
 * The feature set a new model is trained on: the registry's base features, then for each tracked
 * action its 30-day count, then its lifetime count, then its events per month of tenure.
 */
export function defineFeatureSet(trackedActions: readonly string[], registry: FeatureRegistry = FEATURE_REGISTRY): FeatureSet {
  const actions = [...new Set(trackedActions)]
  return featureSetOf(
    [...registry.base.map((f) => f.name), ...actions.map(actionFeatureName), ...actions.map(actionLifetimeFeatureName), ...actions.map(actionPerMonthFeatureName)],
    registry,
  )
}

/**
 * The `k` most frequent actions by event count across the given buckets (ties by name),
 * used by the trainer to choose which actions get their own feature.
 */
export function mostFrequentActions(activity: Iterable<Pick<DailyActivity, 'action' | 'eventCount'>>, k: number): string[] {
  const totals = new Map<string, number>()
  for (const a of activity) totals.set(a.action, (totals.get(a.action) ?? 0) + a.eventCount)
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, k)
    .map(([action]) => action)
}

export const DEFAULT_TRACKED_ACTIONS = ['login', 'api_call', 'report_exported', 'dashboard_viewed'] as const

/** The feature set used until a trained model says otherwise. */
export const DEFAULT_FEATURE_SET: FeatureSet = defineFeatureSet(DEFAULT_TRACKED_ACTIONS)
