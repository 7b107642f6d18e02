import { createHash } from 'node:crypto'
import type { AlertDetails, AlertFields, AlertKind, Driver } from '@churnwatch/contract'
import type { BandThresholds } from '@churnwatch/scoring'
import { suggestPlay, type PlayBook } from './plays.js'

const MS_PER_DAY = 86_400_000

/** What the rules know about one customer after scoring, as of `asOf`. */
export interface CustomerSignal {
  customerId: string
  asOf: string
  probability: number
  revenueAtRisk: number
  drivers: Driver[]
  tenureDays: number
  subscription: { status: 'none' | 'active' | 'canceling' | 'ended'; lastFailedAt: number | null; lastPaidAt: number | null }
  events14d: number
  baselineEvents14d: number
  /** Current MRR, integer minor units. */
  mrr?: number
  /** The next renewal as of asOf (contractStateAt), and the billing period in months; null when unknown. */
  renewal?: { at: number; periodMonths: number } | null
  /** The reason the pending cancellation sent (free text), null when it sent none. */
  cancelReason?: string | null
}

/** A live (open or acknowledged) alert: the event's fields plus when it was acknowledged. */
export interface LiveAlert extends AlertFields {
  status: 'open' | 'acknowledged'
  acknowledgedAt: string | null
}

export interface AlertChange {
  alert: LiveAlert | (Omit<LiveAlert, 'status'> & { status: 'resolved'; resolution: string; resolvedAt: string })
  change: 'opened' | 'updated' | 'resolved'
}

export interface AlertRuleOptions {
  thresholds: BandThresholds
  /** A usage drop: last 14 days below this share of the customer's own baseline... */
  usageDropRatio: number
  /** ...and it clears at or above this share (hysteresis). */
  usageRecoverRatio: number
  /** Baselines smaller than this many events in 14 days are too thin to judge a drop. */
  usageMinBaseline: number
  /** A rise of the probability by this much updates an open risk_high alert. */
  riskUpdateDelta: number
  /** renewal_at_risk: medium or high risk and renewing within this many days... */
  renewalAlertDays: number
  /** ...on a billing period of at least this many months (monthly plans renew all the time). */
  renewalMinPeriodMonths: number
  plays: PlayBook
}

export const DEFAULT_ALERT_RULES: Omit<AlertRuleOptions, 'thresholds' | 'plays'> = {
  usageDropRatio: 0.3,
  usageRecoverRatio: 0.6,
  usageMinBaseline: 10,
  riskUpdateDelta: 0.05,
  renewalAlertDays: 90,
  renewalMinPeriodMonths: 6,
}

/**
 * Decides which alerts open, update or resolve for one customer. Pure and idempotent: the same
 * signal and live alerts give the same changes, so a replayed or redelivered batch raises
 * nothing twice (alert ids derive from customer, kind and the asOf that opened them).
 */
export function decideAlerts(signal: CustomerSignal, live: readonly LiveAlert[], options: AlertRuleOptions): AlertChange[] {
  const changes: AlertChange[] = []
  const byKind = new Map(live.map((a) => [a.kind, a]))
  const churned = signal.subscription.status === 'ended' || signal.subscription.status === 'none'
  const renewal = renewalInWindow(signal, options)
  const atRisk = signal.probability >= options.thresholds.medium
  const conditions: Record<AlertKind, { raise: boolean; clear: boolean; clearReason: string }> = {
    risk_high: {
      raise: signal.probability >= options.thresholds.high,
      clear: signal.probability < options.thresholds.rearm,
      clearReason: 'risk fell below the re-arm threshold',
    },
    payment_failed: {
      raise: isPaymentFailing(signal),
      clear: !isPaymentFailing(signal),
      clearReason: 'a payment succeeded after the failure',
    },
    cancel_requested: {
      raise: signal.subscription.status === 'canceling',
      clear: signal.subscription.status === 'active',
      clearReason: 'the cancellation was reverted',
    },
    usage_drop: {
      raise: signal.baselineEvents14d >= options.usageMinBaseline && signal.events14d < options.usageDropRatio * signal.baselineEvents14d,
      clear: signal.events14d >= options.usageRecoverRatio * signal.baselineEvents14d,
      clearReason: 'usage recovered to its baseline',
    },
    renewal_at_risk: {
      raise: atRisk && renewal !== null && signal.subscription.status === 'active',
      clear: !atRisk || renewal === null || signal.subscription.status !== 'active',
      clearReason: !atRisk
        ? 'risk fell below the medium band'
        : signal.subscription.status === 'canceling'
          ? 'the customer requested cancellation'
          : 'no renewal within the alert window',
    },
    // An operator alert about the churn rate, never a customer's (handlers/churn-rate.ts).
    churn_rate_spike: { raise: false, clear: false, clearReason: '' },
  }
  for (const kind of Object.keys(conditions) as AlertKind[]) {
    const condition = conditions[kind]
    const current = byKind.get(kind)
    if (current && (churned || condition.clear)) {
      changes.push({
        change: 'resolved',
        alert: { ...current, status: 'resolved', resolution: churned ? 'the customer churned' : condition.clearReason, resolvedAt: signal.asOf, updatedAt: signal.asOf },
      })
    } else if (current && kind === 'risk_high' && signal.probability >= current.probability + options.riskUpdateDelta) {
      // A later rise updates the open alert rather than opening another.
      changes.push({ change: 'updated', alert: { ...current, ...measures(signal), updatedAt: signal.asOf } })
    } else if (current && kind === 'renewal_at_risk' && renewal && current.details?.renewalAt !== renewal.renewalAt) {
      // The renewal date moved (new terms): the alert follows it.
      changes.push({ change: 'updated', alert: { ...current, ...measures(signal), details: renewal, updatedAt: signal.asOf } })
    } else if (!current && !churned && condition.raise) {
      const suggested = suggestPlay(options.plays, kind, { drivers: signal.drivers, tenureDays: signal.tenureDays, reason: signal.cancelReason ?? null })
      changes.push({
        change: 'opened',
        alert: {
          alertId: alertIdFor(signal.customerId, kind, signal.asOf),
          customerId: signal.customerId,
          kind,
          status: 'open',
          ...measures(signal),
          play: suggested.play,
          ...detailsOf(kind, signal, renewal, suggested.reasonCategory),
          createdAt: signal.asOf,
          updatedAt: signal.asOf,
          acknowledgedAt: null,
        },
      })
    }
  }
  return changes
}

/**
 * The renewal a renewal_at_risk alert names: the next renewal within `renewalAlertDays` of asOf on
 * a billing period of at least `renewalMinPeriodMonths`, with the MRR at stake: the contract value
 * at renewal, MRR x months in the billing period (ADR 0016). null otherwise.
 */
export function renewalInWindow(signal: CustomerSignal, options: Pick<AlertRuleOptions, 'renewalAlertDays' | 'renewalMinPeriodMonths'>): { renewalAt: string; mrrAtStake: number } | null {
  const renewal = signal.renewal
  if (!renewal || renewal.periodMonths + 1e-9 < options.renewalMinPeriodMonths) return null
  const asOf = Date.parse(signal.asOf)
  if (renewal.at <= asOf || renewal.at - asOf > options.renewalAlertDays * MS_PER_DAY) return null
  return { renewalAt: new Date(renewal.at).toISOString(), mrrAtStake: Math.round((signal.mrr ?? 0) * renewal.periodMonths) }
}

function detailsOf(
  kind: AlertKind,
  signal: CustomerSignal,
  renewal: { renewalAt: string; mrrAtStake: number } | null,
  reasonCategory: string | undefined,
): { details?: AlertDetails } {
  if (kind === 'renewal_at_risk' && renewal) return { details: renewal }
  if (kind === 'cancel_requested') return { details: { reason: signal.cancelReason ?? null, ...(reasonCategory ? { reasonCategory } : {}) } }
  return {}
}

function measures(signal: CustomerSignal) {
  return { probability: signal.probability, revenueAtRisk: signal.revenueAtRisk, drivers: signal.drivers }
}

function isPaymentFailing(signal: CustomerSignal): boolean {
  const { lastFailedAt, lastPaidAt } = signal.subscription
  return lastFailedAt !== null && (lastPaidAt === null || lastFailedAt > lastPaidAt)
}

/** Stable id of the alert a customer's condition opened at `openedAsOf`. */
export function alertIdFor(customerId: string, kind: AlertKind, openedAsOf: string): string {
  return `al_${createHash('sha256').update(`${customerId}\u0000${kind}\u0000${openedAsOf}`).digest('hex').slice(0, 24)}`
}
