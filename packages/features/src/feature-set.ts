import type { DailyActivity } from './history.js'
import { actionFeatureName, BASE_FEATURES } from './definitions.js'

/** The ordered feature names a model is trained on: the base features plus tracked actions. */
export interface FeatureSet {
  names: readonly string[]
  trackedActions: readonly string[]
}

/** Builds a feature set tracking the given actions (per-action 30-day counts). */
export function defineFeatureSet(trackedActions: readonly string[]): FeatureSet {
  const actions = [...new Set(trackedActions)]
  return { names: [...BASE_FEATURES.map((f) => f.name), ...actions.map(actionFeatureName)], trackedActions: actions }
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
