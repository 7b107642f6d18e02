import { createActionTally, DEFAULT_ACTION_SELECTION, selectActions, tallyActions, type ActionSelection, type ActionSelectionRule } from './action-selection.js'
import { ACTION_LIFETIME_PREFIX } from './lifetime.js'
import { defineFeatureSet, type FeatureSet } from './feature-set.js'
import type { CustomerHistory } from './history.js'
import { trainingExamples, type ObservationPlan, type TrainingExample } from './training.js'
import type { FeatureRegistry } from './definitions.js'
import { FEATURE_REGISTRY } from './definitions.js'

/**
 * Builds training examples while choosing the tracked actions from the same rows, in one pass over
 * the customers (ADR 0013). Each customer's examples are computed with its own actions' features;
 * only non-zero action values are kept (an action a customer never used is 0 in every action
 * family), so memory stays close to that of the base features until the actions are chosen.
 * Selection tallies each customer once, at its last observation before `selectBefore`: holdout
 * rows never choose features.
 */
export interface SelectingCollector {
  add: (history: CustomerHistory, plan: ObservationPlan) => void
  /** Chooses the actions and returns every example with the chosen feature set's values. */
  finish: () => { featureSet: FeatureSet; examples: TrainingExample[]; selection: ActionSelection }
  /** Examples collected so far. */
  readonly size: number
}

const MAX_CACHED_SETS = 256

interface Pending {
  example: TrainingExample
  /** Interned action-feature names and their non-zero values. */
  keys: Int32Array
  values: Float64Array
}

export function createSelectingCollector(options: {
  /** Observations at or after this instant (the holdout) are never tallied. */
  selectBefore: number
  rule?: ActionSelectionRule
  registry?: FeatureRegistry
}): SelectingCollector {
  const registry = options.registry ?? FEATURE_REGISTRY
  const rule = options.rule ?? DEFAULT_ACTION_SELECTION
  const baseCount = registry.base.length
  const tally = createActionTally()
  const pending: Pending[] = []
  const interned = new Map<string, number>()
  const internedNames: string[] = []
  const intern = (name: string): number => {
    let id = interned.get(name)
    if (id === undefined) {
      id = internedNames.length
      interned.set(name, id)
      internedNames.push(name)
    }
    return id
  }
  const sets = new Map<string, FeatureSet>()

  return {
    get size() {
      return pending.length
    },
    add(history, plan) {
      const actions = [...new Set(history.activity.map((a) => a.action))].sort()
      const key = actions.join('\u0000')
      let wide = sets.get(key)
      if (!wide) {
        wide = defineFeatureSet(actions, registry)
        // Most customers share a few combinations of actions; a business with many would otherwise fill memory.
        if (sets.size >= MAX_CACHED_SETS) sets.clear()
        sets.set(key, wide)
      }
      let last: { label: 0 | 1; lifetime: Array<[string, number]> } | undefined
      for (const example of trainingExamples(history, plan, wide)) {
        const keys: number[] = []
        const values: number[] = []
        const lifetime: Array<[string, number]> = []
        for (let j = baseCount; j < wide.names.length; j++) {
          const value = example.features[j] as number
          if (value === 0) continue
          const name = wide.names[j] as string
          keys.push(intern(name))
          values.push(value)
          if (name.startsWith(ACTION_LIFETIME_PREFIX)) lifetime.push([name.slice(ACTION_LIFETIME_PREFIX.length), value])
        }
        if (example.observedAt < options.selectBefore) last = { label: example.label, lifetime }
        example.features.length = baseCount
        pending.push({ example, keys: Int32Array.from(keys), values: Float64Array.from(values) })
      }
      if (last) tallyActions(tally, last.label, last.lifetime)
    },
    finish() {
      const selection = selectActions(tally, rule)
      const featureSet = defineFeatureSet(
        selection.selected.map((s) => s.action),
        registry,
      )
      const column = new Int32Array(internedNames.length).fill(-1)
      featureSet.names.forEach((name, i) => {
        const id = interned.get(name)
        if (id !== undefined) column[id] = i
      })
      const examples = pending.map(({ example, keys, values }) => {
        const features = example.features
        for (let j = baseCount; j < featureSet.names.length; j++) features.push(0)
        for (let k = 0; k < keys.length; k++) {
          const at = column[keys[k] as number] as number
          if (at >= 0) features[at] = values[k] as number
        }
        return example
      })
      pending.length = 0
      return { featureSet, examples, selection }
    },
  }
}
