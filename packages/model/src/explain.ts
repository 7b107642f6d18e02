import type { Driver } from '@churnwatch/contract'
import { describeFeature, FEATURE_REGISTRY, formatCount, type FeatureDefinition, type FeatureRegistry } from '@churnwatch/features'
import type { Model } from './model.js'
import { scoreContributions, type Rows } from './predict.js'

const MAX_SENTENCE = 200
const LOWERS_RISK = ' (lowers risk)'

/**
 * The top `k` drivers of each row's score. Contributions are in calibrated log-odds (raw
 * contribution x Platt slope), positive raising risk; only risk-raising drivers are listed,
 * largest first, unless none raises risk, then the `k` largest by magnitude; a value its
 * definition does not show as a driver (`shownAsDriver`) is never listed. Each sentence comes
 * from the feature's definition in `registry`, which may quote other values of the same row.
 */
export function explain(model: Model, rows: Rows, k = 3, registry: FeatureRegistry = FEATURE_REGISTRY): Driver[][] {
  const { n, d, values } = scoreContributions(model, rows)
  const raw = rowsValues(rows, d)
  const slope = model.calibration.slope
  const definitions = model.featureNames.map((name) => describeFeature(name, registry))
  const indexOf = new Map(model.featureNames.map((name, j) => [name, j]))
  const out: Driver[][] = []
  for (let i = 0; i < n; i++) {
    const candidates: { feature: number; contribution: number }[] = []
    for (let j = 0; j < d; j++) {
      const contribution = slope * (values[i * d + j] as number)
      if (contribution !== 0 && (definitions[j]?.shownAsDriver?.(raw(i, j)) ?? true)) candidates.push({ feature: j, contribution })
    }
    const raising = candidates.filter((c) => c.contribution > 0)
    const chosen =
      raising.length > 0
        ? raising.sort((a, b) => b.contribution - a.contribution || a.feature - b.feature)
        : candidates.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.feature - b.feature)
    const otherValue = (name: string): number | undefined => {
      const j = indexOf.get(name)
      const value = j === undefined ? Number.NaN : raw(i, j)
      return Number.isNaN(value) ? undefined : value
    }
    out.push(
      chosen.slice(0, k).map(({ feature, contribution }) => {
        const name = model.featureNames[feature] as string
        const value = raw(i, feature)
        return {
          feature: name,
          value: Number.isNaN(value) ? null : value,
          contribution,
          sentence: sentenceOf(definitions[feature], name, value, model.typical[feature] as number, contribution, otherValue),
        }
      }),
    )
  }
  return out
}

/**
 * The sentence of one driver, from the feature's definition, e.g. "Usage in the last 14 days is
 * 2 events, against 40 usually"; "(lowers risk)" is added when the contribution is negative.
 * `otherValue` gives the row's other values (for sentences that pair two). At most 200 characters.
 */
export function driverSentence(
  feature: string,
  value: number,
  typical: number,
  contribution: number,
  options: { otherValue?: (name: string) => number | undefined; registry?: FeatureRegistry } = {},
): string {
  return sentenceOf(describeFeature(feature, options.registry), feature, value, typical, contribution, options.otherValue ?? (() => undefined))
}

function sentenceOf(
  definition: FeatureDefinition | undefined,
  name: string,
  value: number,
  typical: number,
  contribution: number,
  otherValue: (name: string) => number | undefined,
): string {
  let text: string
  if (Number.isNaN(value)) text = `${capitalise(definition?.description ?? name)}: no value`
  else if (definition === undefined) text = `${name} is ${formatCount(value)}, against ${formatCount(typical)} typically`
  else text = definition.sentence({ value, typical, otherValue })
  const suffix = contribution < 0 ? LOWERS_RISK : ''
  const room = MAX_SENTENCE - suffix.length
  if (text.length > room) text = `${text.slice(0, room - 3)}...`
  return `${text}${suffix}`
}

function capitalise(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`
}

function rowsValues(rows: Rows, d: number): (i: number, j: number) => number {
  if (rows instanceof Float64Array) return (i, j) => rows[i * d + j] as number
  return (i, j) => (rows[i] as readonly number[])[j] as number
}
