/** What a feature means, for explanations: a stable name, a human description and a unit. */
export interface FeatureDefinition {
  name: string
  description: string
  unit: 'days' | 'events' | 'ratio' | 'users' | 'seats' | 'cents' | 'payments' | 'flag' | 'count' | 'tickets'
  /** Counts and amounts with long tails; models take log1p of these. */
  heavyTailed: boolean
}

const define = (
  name: string,
  description: string,
  unit: FeatureDefinition['unit'],
  heavyTailed = false,
): FeatureDefinition => ({ name, description, unit, heavyTailed })

/** The features every feature set has, in vector order. Names are stable: models store them. */
export const BASE_FEATURES: readonly FeatureDefinition[] = [
  define('tenure_days', 'days since the subscription first started', 'days', true),
  define('days_since_last_activity', 'days since the last day with any product usage', 'days', true),
  define('events_7d', 'usage events in the last 7 days', 'events', true),
  define('events_14d', 'usage events in the last 14 days', 'events', true),
  define(
    'baseline_events_14d',
    'usage events expected in 14 days at the rate of days 15-90 before (the customer’s own baseline)',
    'events',
    true,
  ),
  define('events_30d', 'usage events in the last 30 days', 'events', true),
  define('events_90d', 'usage events in the last 90 days', 'events', true),
  define('activity_trend_30d', 'change in usage events, last 30 days vs the 30 days before', 'ratio'),
  define('active_days_30d', 'days with any usage in the last 30 days', 'days'),
  define('active_users_30d', 'distinct active users in the last 30 days', 'users', true),
  define('seats', 'seats held (seat_added minus seat_removed)', 'seats', true),
  define('seats_removed_30d', 'seats removed (users offboarded) in the last 30 days', 'seats'),
  define('seats_added_30d', 'seats added (users onboarded) in the last 30 days', 'seats'),
  define('seat_utilization_30d', 'active users in the last 30 days per seat', 'ratio'),
  define('mrr', 'monthly recurring revenue', 'cents', true),
  define('mrr_change_90d', 'change in MRR over the last 90 days', 'cents'),
  define('failed_payments_30d', 'failed payments in the last 30 days', 'payments'),
  define('failed_payments_90d', 'failed payments in the last 90 days', 'payments'),
  define('days_since_last_payment', 'days since the last paid invoice', 'days', true),
  define('payment_overdue', 'the last charge failed and no invoice has been paid since', 'flag'),
  define('cancellation_requested', 'a cancellation is pending (canceled, not yet ended)', 'flag'),
  define('reactivations', 'times the subscription was reactivated', 'count'),
  define('support_tickets_30d', 'support tickets opened in the last 30 days', 'tickets', true),
  define('support_tickets_90d', 'support tickets opened in the last 90 days', 'tickets', true),
]

export const ACTION_FEATURE_PREFIX = 'action_30d:'

/** The feature name for one tracked action's 30-day count. */
export function actionFeatureName(action: string): string {
  return `${ACTION_FEATURE_PREFIX}${action}`
}

/** The definition of any feature name, including per-action ones; undefined for an unknown name. */
export function describeFeature(name: string): FeatureDefinition | undefined {
  if (name.startsWith(ACTION_FEATURE_PREFIX)) {
    const action = name.slice(ACTION_FEATURE_PREFIX.length)
    return define(name, `'${action}' events in the last 30 days`, 'events', true)
  }
  return BASE_FEATURES.find((f) => f.name === name)
}
