import type { Driver } from '@churnwatch/contract'
import { describeFeature, type FeatureDefinition } from '@churnwatch/features'
import type { Model } from './model.js'
import { scoreContributions, type Rows } from './predict.js'

const MAX_SENTENCE = 200

/**
 * The top `k` drivers of each row's score. Contributions are in calibrated log-odds (raw
 * contribution x Platt slope), positive raising risk; only risk-raising drivers are listed,
 * largest first, unless none raises risk, then the `k` largest by magnitude.
 */
export function explain(model: Model, rows: Rows, k = 3): Driver[][] {
  const { n, d, values } = scoreContributions(model, rows)
  const raw = rowsValues(rows, d)
  const slope = model.calibration.slope
  const out: Driver[][] = []
  for (let i = 0; i < n; i++) {
    const candidates: { feature: number; contribution: number }[] = []
    for (let j = 0; j < d; j++) {
      const contribution = slope * (values[i * d + j] as number)
      if (contribution !== 0) candidates.push({ feature: j, contribution })
    }
    const raising = candidates.filter((c) => c.contribution > 0)
    const chosen =
      raising.length > 0
        ? raising.sort((a, b) => b.contribution - a.contribution || a.feature - b.feature)
        : candidates.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.feature - b.feature)
    out.push(
      chosen.slice(0, k).map(({ feature, contribution }) => {
        const name = model.featureNames[feature] as string
        const value = raw(i, feature)
        return {
          feature: name,
          value: Number.isNaN(value) ? null : value,
          contribution,
          sentence: driverSentence(name, value, model.typical[feature] as number, contribution),
        }
      }),
    )
  }
  return out
}

/**
 * A short human sentence for one driver, from the feature's description and unit, e.g.
 * "Usage events in the last 30 days: 2 (typical 140) raises risk". At most 200 characters.
 */
export function driverSentence(feature: string, value: number, typical: number, contribution: number): string {
  const definition = describeFeature(feature)
  const unit = definition?.unit
  const effect = contribution > 0 ? 'raises risk' : 'lowers risk'
  const tail = `: ${formatValue(value, unit)} (typical ${formatValue(typical, unit)}) ${effect}`
  let subject = definition?.description ?? feature
  if (subject.length + tail.length > MAX_SENTENCE) subject = `${subject.slice(0, Math.max(1, MAX_SENTENCE - tail.length - 3))}...`
  return `${subject.charAt(0).toUpperCase()}${subject.slice(1)}${tail}`.slice(0, MAX_SENTENCE)
}

function formatValue(value: number, unit: FeatureDefinition['unit'] | undefined): string {
  if (Number.isNaN(value)) return 'missing'
  switch (unit) {
    case 'flag':
      return value >= 0.5 ? 'yes' : 'no'
    case 'cents':
      // Minor units shown as major units; the currency is not known here.
      return (value / 100).toFixed(2)
    case 'ratio':
      return value.toFixed(2)
    default:
      if (Number.isInteger(value)) return String(value)
      return Math.abs(value) >= 10 ? String(Math.round(value)) : value.toFixed(1)
  }
}

function rowsValues(rows: Rows, d: number): (i: number, j: number) => number {
  if (rows instanceof Float64Array) return (i, j) => rows[i * d + j] as number
  return (i, j) => (rows[i] as readonly number[])[j] as number
}
