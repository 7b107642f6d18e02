import { baselineEvents14d, type AsOfFacts } from './as-of.js'
import { CATEGORY_FAMILIES, EMPLOYEES_FEATURE } from './categorical.js'
import { RENEWAL_FEATURES } from './renewal.js'
import { ACTION_LIFETIME_FAMILY, ACTION_PER_MONTH_FAMILY, LIFETIME_FEATURES } from './lifetime.js'
import { countOf, formatCount, formatMoney, formatPercent, type DriverFacts } from './sentences.js'
import { MS_PER_DAY } from './time.js'

export type FeatureUnit = 'days' | 'events' | 'ratio' | 'users' | 'seats' | 'cents' | 'payments' | 'flag' | 'count' | 'tickets' | 'months'

/**
 * One feature, defined once: its stable name (models store it), what it means, how it is
 * computed as of T, and the sentence a driver on it reads as.
 */
export interface FeatureDefinition {
  name: string
  description: string
  unit: FeatureUnit
  /** Counts and amounts with long tails; models take log1p of these. */
  heavyTailed: boolean
  /** The value as of T, from the customer's as-of facts (nothing after T). */
  compute: (facts: AsOfFacts) => number
  /** The driver sentence (at most 200 characters) for a row with this value. */
  sentence: (driver: DriverFacts) => string
  /** Whether a row's value may be listed as a driver (absent: always); one-hot columns only where the row is in the category. */
  shownAsDriver?: (value: number) => boolean
}

/** Features named `${prefix}${parameter}`, one per parameter (e.g. one per tracked action). */
export interface FeatureFamily {
  prefix: string
  /** The definition of the family member for one parameter. */
  define: (parameter: string) => FeatureDefinition
}

/**
 * The features the code knows: base features (every new feature set has them, in this order)
 * and families. Models name the features they were trained on; scoring resolves each name here.
 */
export interface FeatureRegistry {
  base: readonly FeatureDefinition[]
  families: readonly FeatureFamily[]
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000

// "2 events in the last 7 days, against 5 typically": for counts where the population median is the useful yardstick.
const countAgainstTypical =
  (noun: string, tail: string, plural?: string) =>
  ({ value, typical }: DriverFacts): string =>
    `${countOf(value, noun, plural)} ${tail}, against ${formatCount(typical)} typically`

const usageInLast14Days = (recent: number, usual: number): string =>
  `Usage in the last 14 days is ${countOf(recent, 'event')}, against ${formatCount(usual)} usually`

const daysSince = (facts: AsOfFacts, at: number | null): number => round(at === null ? facts.tenureDays : (facts.asOfMs - at) / MS_PER_DAY)

/**
 * Seats held. Seat events are changes from a count nobody sent (the seats bought at the start are
 * no event), so their net can be below the users seen or even negative; every user active in the
 * last 90 days holds a seat, so seats held are at least that many (and at least 1).
 */
function seatsHeld(facts: AsOfFacts): number {
  return Math.max(1, facts.usage.seatEventsNet ?? 0, facts.usage.activeUsers90d)
}

// "3 seats removed in the last 30 days, 8 held now": a change means little without the seats left.
function seatChange30d(change: 'added' | 'removed', description: string, compute: (facts: AsOfFacts) => number): FeatureDefinition {
  return {
    name: `seats_${change}_30d`,
    description,
    unit: 'seats',
    heavyTailed: false,
    compute,
    sentence: ({ value, otherValue }) => {
      const seats = otherValue('seats')
      return `${countOf(value, 'seat')} ${change} in the last 30 days${seats === undefined ? '' : `, ${formatCount(seats)} held now`}`
    },
  }
}

function failedPayments(facts: AsOfFacts, days: number): number {
  let count = 0
  for (const e of facts.billing) if (e.type === 'payment_failed' && e.occurredAt <= facts.asOfMs && e.occurredAt > facts.asOfMs - days * MS_PER_DAY) count++
  return count
}

/** The features every feature set has, in vector order. Names are stable: models store them. */
export const BASE_FEATURES: readonly FeatureDefinition[] = [
  {
    name: 'tenure_days',
    description: 'days since the subscription first started',
    unit: 'days',
    heavyTailed: true,
    compute: (f) => round(f.tenureDays),
    sentence: ({ value, typical }) => `Customer for ${countOf(Math.round(value), 'day')}, against ${formatCount(Math.round(typical))} typically`,
  },
  {
    name: 'days_since_last_activity',
    description: 'days since the last day with any product usage',
    unit: 'days',
    heavyTailed: true,
    // Never active: as silent as the whole tenure.
    compute: (f) => round(f.usage.lastActiveDay === null ? f.tenureDays : f.today - f.usage.lastActiveDay),
    sentence: ({ value, typical }) => `No product usage for ${countOf(value, 'day')}, against ${formatCount(typical)} typically`,
  },
  {
    name: 'events_7d',
    description: 'usage events in the last 7 days',
    unit: 'events',
    heavyTailed: true,
    compute: (f) => f.usage.events7d,
    sentence: countAgainstTypical('usage event', 'in the last 7 days'),
  },
  {
    name: 'events_14d',
    description: 'usage events in the last 14 days',
    unit: 'events',
    heavyTailed: true,
    compute: (f) => f.usage.events14d,
    // Against the customer's own baseline when the model has it: a fall is what matters.
    sentence: ({ value, typical, otherValue }) => {
      const usual = otherValue('baseline_events_14d')
      return usual === undefined ? countAgainstTypical('usage event', 'in the last 14 days')({ value, typical, otherValue }) : usageInLast14Days(value, usual)
    },
  },
  {
    name: 'baseline_events_14d',
    description: 'usage events expected in 14 days at the rate of days 15-90 before (the customer’s own baseline)',
    unit: 'events',
    heavyTailed: true,
    // The baseline covers days 15-90 before asOf, cut to the days the customer has existed.
    compute: (f) => round(baselineEvents14d(f)),
    // A high baseline only matters against the recent usage it is a baseline for.
    sentence: ({ value, otherValue }) => {
      const recent = otherValue('events_14d')
      return recent === undefined
        ? `Usual usage is ${countOf(value, 'event')} per 14 days`
        : `Usual usage is ${countOf(value, 'event')} per 14 days; the last 14 days had ${formatCount(recent)}`
    },
  },
  {
    name: 'events_30d',
    description: 'usage events in the last 30 days',
    unit: 'events',
    heavyTailed: true,
    compute: (f) => f.usage.events30d,
    sentence: countAgainstTypical('usage event', 'in the last 30 days'),
  },
  {
    name: 'events_90d',
    description: 'usage events in the last 90 days',
    unit: 'events',
    heavyTailed: true,
    compute: (f) => f.usage.events90d,
    sentence: countAgainstTypical('usage event', 'in the last 90 days'),
  },
  {
    name: 'activity_trend_30d',
    description: 'change in usage events, last 30 days vs the 30 days before',
    unit: 'ratio',
    heavyTailed: false,
    compute: (f) => round((f.usage.events30d - f.usage.eventsPrev30d) / Math.max(f.usage.eventsPrev30d, 1)),
    sentence: ({ value }) =>
      value === 0
        ? 'Usage in the last 30 days is level with the 30 days before'
        : `Usage ${value < 0 ? 'fell' : 'rose'} ${formatPercent(Math.abs(value))} in the last 30 days against the 30 days before`,
  },
  {
    name: 'active_days_30d',
    description: 'days with any usage in the last 30 days',
    unit: 'days',
    heavyTailed: false,
    compute: (f) => f.usage.activeDays30d,
    sentence: ({ value, typical }) => `Active on ${formatCount(value)} of the last 30 days, against ${formatCount(typical)} typically`,
  },
  {
    name: 'active_users_30d',
    description: 'distinct active users in the last 30 days',
    unit: 'users',
    heavyTailed: true,
    compute: (f) => f.usage.activeUsers30d,
    sentence: countAgainstTypical('active user', 'in the last 30 days'),
  },
  {
    name: 'seats',
    description: 'seats held: net seat_added minus seat_removed, at least the users active in the last 90 days',
    unit: 'seats',
    heavyTailed: true,
    compute: seatsHeld,
    sentence: ({ value, typical }) => `${countOf(value, 'seat')} held, against ${formatCount(typical)} typically`,
  },
  // Offboarding users is one of the few visible steps of a customer on the way out.
  seatChange30d('removed', 'seats removed (users offboarded) in the last 30 days', (f) => f.usage.seatsRemoved30d),
  seatChange30d('added', 'seats added (users onboarded) in the last 30 days', (f) => f.usage.seatsAdded30d),
  {
    name: 'seat_utilization_30d',
    description: 'share of seats held whose users were active in the last 30 days (0 to 1)',
    unit: 'ratio',
    heavyTailed: false,
    compute: (f) => round(f.usage.activeUsers30d / seatsHeld(f)),
    sentence: ({ value, typical, otherValue }) => {
      const users = otherValue('active_users_30d')
      const seats = otherValue('seats')
      const detail = users === undefined || seats === undefined ? `against ${formatPercent(typical)} typically` : `${formatCount(users)} active users for ${countOf(seats, 'seat')}`
      return `${formatPercent(value)} of seats in use in the last 30 days (${detail})`
    },
  },
  {
    name: 'mrr',
    description: 'monthly recurring revenue',
    unit: 'cents',
    heavyTailed: true,
    compute: (f) => f.subscription.mrr,
    sentence: ({ value, typical }) => `Monthly recurring revenue is ${formatMoney(value)}, against ${formatMoney(typical)} typically`,
  },
  {
    name: 'mrr_change_90d',
    description: 'change in MRR over the last 90 days',
    unit: 'cents',
    heavyTailed: false,
    compute: (f) => f.subscription.mrr - f.mrr90dAgo,
    sentence: ({ value }) =>
      value === 0
        ? 'Monthly recurring revenue unchanged over the last 90 days'
        : `Monthly recurring revenue ${value < 0 ? 'fell' : 'rose'} by ${formatMoney(Math.abs(value))} over the last 90 days`,
  },
  {
    name: 'failed_payments_30d',
    description: 'failed payments in the last 30 days',
    unit: 'payments',
    heavyTailed: false,
    compute: (f) => failedPayments(f, 30),
    sentence: ({ value }) => `${countOf(value, 'failed payment')} in the last 30 days`,
  },
  {
    name: 'failed_payments_90d',
    description: 'failed payments in the last 90 days',
    unit: 'payments',
    heavyTailed: false,
    compute: (f) => failedPayments(f, 90),
    sentence: ({ value }) => `${countOf(value, 'failed payment')} in the last 90 days`,
  },
  {
    name: 'days_since_last_payment',
    description: 'days since the last paid invoice',
    unit: 'days',
    heavyTailed: true,
    compute: (f) => daysSince(f, f.subscription.lastPaidAt),
    sentence: ({ value, typical }) => `Last invoice paid ${countOf(Math.round(value), 'day')} ago, against ${formatCount(Math.round(typical))} typically`,
  },
  {
    name: 'payment_overdue',
    description: 'the last charge failed and no invoice has been paid since',
    unit: 'flag',
    heavyTailed: false,
    // Dunning in progress: retries of the failed charge may still succeed, or end the subscription.
    compute: ({ subscription: { lastFailedAt, lastPaidAt } }) => (lastFailedAt !== null && (lastPaidAt === null || lastFailedAt > lastPaidAt) ? 1 : 0),
    sentence: ({ value }) => (value >= 0.5 ? 'The last charge failed and nothing has been paid since' : 'No payment overdue'),
  },
  {
    name: 'cancellation_requested',
    description: 'a cancellation is pending (canceled, not yet ended)',
    unit: 'flag',
    heavyTailed: false,
    compute: (f) => (f.subscription.status === 'canceling' ? 1 : 0),
    sentence: ({ value }) => (value >= 0.5 ? 'Cancellation requested; the subscription has not ended yet' : 'No cancellation pending'),
  },
  {
    name: 'reactivations',
    description: 'times the subscription was reactivated',
    unit: 'count',
    heavyTailed: false,
    compute: (f) => f.subscription.reactivations,
    sentence: ({ value }) => (value === 0 ? 'Never reactivated' : `Reactivated ${countOf(value, 'time')} after leaving or canceling`),
  },
  {
    name: 'support_tickets_30d',
    description: 'support tickets opened in the last 30 days',
    unit: 'tickets',
    heavyTailed: true,
    compute: (f) => f.usage.supportTickets30d,
    sentence: countAgainstTypical('support ticket', 'opened in the last 30 days'),
  },
  {
    name: 'support_tickets_90d',
    description: 'support tickets opened in the last 90 days',
    unit: 'tickets',
    heavyTailed: true,
    compute: (f) => f.usage.supportTickets90d,
    sentence: countAgainstTypical('support ticket', 'opened in the last 90 days'),
  },
  ...RENEWAL_FEATURES,
  EMPLOYEES_FEATURE,
  ...LIFETIME_FEATURES,
]

export const ACTION_FEATURE_PREFIX = 'action_30d:'

/** The feature name for one tracked action's 30-day count. */
export function actionFeatureName(action: string): string {
  return `${ACTION_FEATURE_PREFIX}${action}`
}

/** One feature per tracked action: its events over the last 30 days. */
export const ACTION_30D_FAMILY: FeatureFamily = {
  prefix: ACTION_FEATURE_PREFIX,
  define: (action) => ({
    name: actionFeatureName(action),
    description: `'${action}' events in the last 30 days`,
    unit: 'events',
    heavyTailed: true,
    compute: (f) => f.usage.actionEvents30d.get(action) ?? 0,
    sentence: countAgainstTypical(`'${action}' event`, 'in the last 30 days'),
  }),
}

/** The features this code computes: what a stored model's names are resolved against. */
export const FEATURE_REGISTRY: FeatureRegistry = {
  base: BASE_FEATURES,
  families: [ACTION_30D_FAMILY, ACTION_LIFETIME_FAMILY, ACTION_PER_MONTH_FAMILY, ...CATEGORY_FAMILIES],
}

/** The definition of any feature name in `registry`, including family members; undefined for an unknown name. */
export function describeFeature(name: string, registry: FeatureRegistry = FEATURE_REGISTRY): FeatureDefinition | undefined {
  const base = registry.base.find((f) => f.name === name)
  if (base) return base
  const family = registry.families.find((f) => name.startsWith(f.prefix) && name.length > f.prefix.length)
  return family?.define(name.slice(family.prefix.length))
}

/** The names among `names` that `registry` cannot compute (a model trained on features this code no longer has). */
export function unsupportedFeatures(names: readonly string[], registry: FeatureRegistry = FEATURE_REGISTRY): string[] {
  return names.filter((name) => describeFeature(name, registry) === undefined)
}
