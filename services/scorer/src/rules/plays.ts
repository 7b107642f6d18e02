import type { AlertKind, Driver } from '@churnwatch/contract'

export type Play = 'onboarding' | 'engagement' | 'billing' | 'save_offer'

const BILLING_FEATURES = new Set(['failed_payments_30d', 'failed_payments_90d', 'payment_overdue', 'days_since_last_payment'])
// Auto-renew off and a price rise at renewal are intents to leave a save offer can still turn.
const SAVE_FEATURES = new Set(['cancellation_requested', 'cancel_at_period_end', 'price_change_at_last_renewal', 'mrr_change_90d', 'support_tickets_30d', 'support_tickets_90d', 'mrr'])
const ONBOARDING_DAYS = 90

/**
 * The customer-success play an alert suggests: billing problems first (they are fixable
 * today), then a pending cancellation (save offer), then new customers (onboarding), else
 * engagement. Risk alerts follow their strongest driver.
 */
export function suggestPlay(kind: AlertKind, drivers: readonly Driver[], tenureDays: number): Play {
  if (kind === 'payment_failed') return 'billing'
  if (kind === 'cancel_requested') return 'save_offer'
  if (kind === 'usage_drop') return tenureDays < ONBOARDING_DAYS ? 'onboarding' : 'engagement'
  const top = drivers.find((d) => d.contribution > 0)?.feature
  if (top && BILLING_FEATURES.has(top)) return 'billing'
  if (top && SAVE_FEATURES.has(top)) return 'save_offer'
  return tenureDays < ONBOARDING_DAYS ? 'onboarding' : 'engagement'
}
