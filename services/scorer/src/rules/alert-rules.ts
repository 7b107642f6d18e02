import { createHash } from 'node:crypto'
import type { AlertFields, AlertKind, Driver } from '@churnwatch/contract'
import type { BandThresholds } from '@churnwatch/scoring'
import { suggestPlay } from './plays.js'

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
}

export const DEFAULT_ALERT_RULES: Omit<AlertRuleOptions, 'thresholds'> = {
  usageDropRatio: 0.3,
  usageRecoverRatio: 0.6,
  usageMinBaseline: 10,
  riskUpdateDelta: 0.05,
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
    } else if (!current && !churned && condition.raise) {
      changes.push({
        change: 'opened',
        alert: {
          alertId: alertIdFor(signal.customerId, kind, signal.asOf),
          customerId: signal.customerId,
          kind,
          status: 'open',
          ...measures(signal),
          play: suggestPlay(kind, signal.drivers, signal.tenureDays),
          createdAt: signal.asOf,
          updatedAt: signal.asOf,
          acknowledgedAt: null,
        },
      })
    }
  }
  return changes
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
