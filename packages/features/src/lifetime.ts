import type { AsOfFacts } from './as-of.js'
import { DAYS_PER_MONTH } from './contract-terms.js'
import type { FeatureDefinition, FeatureFamily } from './definitions.js'
import { countOf, formatCount, type DriverFacts } from './sentences.js'

/**
 * Rates per month of tenure divide by at least this many months, so a customer in its first weeks
 * is not read as using an action ten times as often as anyone else (ADR 0013).
 */
export const MIN_TENURE_MONTHS = 1

export const ACTION_LIFETIME_PREFIX = 'action_lifetime:'
export const ACTION_PER_MONTH_PREFIX = 'action_per_month:'

const round = (value: number): number => Math.round(value * 10_000) / 10_000

/** Months of tenure as of T (days since the first start / 30.4375), at least MIN_TENURE_MONTHS. */
export function tenureMonths(facts: AsOfFacts): number {
  return Math.max(MIN_TENURE_MONTHS, facts.tenureDays / DAYS_PER_MONTH)
}

const lifetimeOf = (facts: AsOfFacts, action: string): number => facts.usage.actionEventsLifetime.get(action) ?? 0

const actionNoun = (action: string): string => `'${action}' event`

/** The feature name for one tracked action's count over the whole tenure. */
export function actionLifetimeFeatureName(action: string): string {
  return `${ACTION_LIFETIME_PREFIX}${action}`
}

/** The feature name for one tracked action's events per month of tenure. */
export function actionPerMonthFeatureName(action: string): string {
  return `${ACTION_PER_MONTH_PREFIX}${action}`
}

/** One feature per tracked action: its events on every complete UTC day before T's day. */
export const ACTION_LIFETIME_FAMILY: FeatureFamily = {
  prefix: ACTION_LIFETIME_PREFIX,
  define: (action) => ({
    name: actionLifetimeFeatureName(action),
    description: `'${action}' events since the customer's first recorded usage, up to the day before T`,
    unit: 'events',
    heavyTailed: true,
    compute: (f) => lifetimeOf(f, action),
    // "12 'unfriend' events since joining (3 a month), against 2 typically"
    sentence: ({ value, typical, otherValue }) => {
      const perMonth = otherValue(actionPerMonthFeatureName(action))
      return `${countOf(value, actionNoun(action))} since joining${perMonth === undefined ? '' : ` (${formatCount(perMonth)} a month)`}, against ${formatCount(typical)} typically`
    },
  }),
}

/** One feature per tracked action: its lifetime events per month of tenure (floor MIN_TENURE_MONTHS). */
export const ACTION_PER_MONTH_FAMILY: FeatureFamily = {
  prefix: ACTION_PER_MONTH_PREFIX,
  define: (action) => ({
    name: actionPerMonthFeatureName(action),
    description: `'${action}' events per month of tenure since joining (months counted from the first start, at least ${MIN_TENURE_MONTHS})`,
    unit: 'events',
    heavyTailed: true,
    compute: (f) => round(lifetimeOf(f, action) / tenureMonths(f)),
    // "3 'unfriend' events a month since joining (12 in all), against 0.4 typically"
    sentence: ({ value, typical, otherValue }) => {
      const total = otherValue(actionLifetimeFeatureName(action))
      return `${countOf(value, actionNoun(action))} a month since joining${total === undefined ? '' : ` (${formatCount(total)} in all)`}, against ${formatCount(typical)} typically`
    },
  }),
}

/** Base features on the whole tenure: how much and how broadly the customer has used the product. */
export const LIFETIME_FEATURES: readonly FeatureDefinition[] = [
  {
    name: 'events_per_month_lifetime',
    description: `usage events per month of tenure since joining (months counted from the first start, at least ${MIN_TENURE_MONTHS})`,
    unit: 'events',
    heavyTailed: true,
    compute: (f) => round(f.usage.eventsLifetime / tenureMonths(f)),
    sentence: ({ value, typical }: DriverFacts) => `${countOf(value, 'usage event')} a month since joining, against ${formatCount(typical)} typically`,
  },
  {
    name: 'actions_used_lifetime',
    description: 'distinct actions the customer has ever used, up to the day before T (breadth of use)',
    unit: 'count',
    heavyTailed: false,
    compute: (f) => f.usage.actionEventsLifetime.size,
    sentence: ({ value, typical }: DriverFacts) =>
      `Used ${countOf(value, 'different action')} since joining, against ${formatCount(typical)} typically`,
  },
]
