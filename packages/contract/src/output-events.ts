import { createHash } from 'node:crypto'
import type {
  AlertChangeKind,
  AlertEvent,
  AlertKind,
  AlertStatus,
  ChurnSpikeScope,
  Driver,
  FeaturesChangedEvent,
  RiskBand,
  RiskChanges,
  RiskScoreEvent,
} from './outputs.js'

// The one place output events are built. Each eventId is derived from what the event announces, so a
// replayed batch or a relay that publishes twice carries the same id and consumers can drop the copy.

function digest(prefix: string, parts: readonly string[]): string {
  return `${prefix}${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)}`
}

/** The fields of a stored score that its churn.risk-scores.v1 event carries. */
export interface ScoreFields {
  customerId: string
  probability: number
  band: RiskBand
  drivers: Driver[]
  modelVersion: string
  asOf: string
  /** What changed since the previous material score; the event carries it when present. */
  changes?: RiskChanges | null
}

/** The risk-score event of a material score change; its eventId is stable for (customer, model version, asOf). */
export function riskScoreEvent(score: ScoreFields): RiskScoreEvent {
  return {
    eventId: digest('rs_', [score.customerId, score.modelVersion, score.asOf]),
    customerId: score.customerId,
    probability: score.probability,
    band: score.band,
    drivers: score.drivers,
    modelVersion: score.modelVersion,
    asOf: score.asOf,
    ...(score.changes ? { changes: score.changes } : {}),
  }
}

/** The fields of a stored alert that its event carries; `revenueAtRisk` is probability x MRR in minor units. */
export interface AlertFields {
  alertId: string
  customerId: string
  kind: AlertKind
  status: AlertStatus
  probability: number
  revenueAtRisk: number
  drivers: Driver[]
  play: string
  createdAt: string
  updatedAt: string
  /** The customer's account owner and segment (account events); absent or null when unknown. */
  ownerId?: string | null
  segment?: string | null
  /** Kind-specific details (ADR 0016), carried by the event when present. */
  details?: AlertDetails | null
}

/** What some kinds add: renewal_at_risk its renewal, cancel_requested its reason, churn_rate_spike its scope. */
export interface AlertDetails {
  renewalAt?: string
  mrrAtStake?: number
  reason?: string | null
  reasonCategory?: string
  scope?: ChurnSpikeScope
}

/**
 * The churn.alerts.v1 (and webhook) event of one alert change, status as after the change; its
 * eventId is stable for (alert, change, status, updatedAt).
 */
export function alertChangeEvent(alert: AlertFields, change: AlertChangeKind): AlertEvent {
  return {
    eventId: digest('ae_', [alert.alertId, change, alert.status, alert.updatedAt]),
    alertId: alert.alertId,
    customerId: alert.customerId,
    kind: alert.kind,
    status: alert.status,
    probability: alert.probability,
    revenueAtRisk: alert.revenueAtRisk,
    drivers: alert.drivers,
    createdAt: alert.createdAt,
    updatedAt: alert.updatedAt,
    change,
    play: alert.play,
    ...(alert.details ?? {}),
    ...(alert.ownerId !== undefined ? { ownerId: alert.ownerId } : {}),
    ...(alert.segment !== undefined ? { segment: alert.segment } : {}),
  }
}

/** Where a features change was folded from: the input partition and the offset after the batch. */
export interface FoldedBatchRef {
  topic: string
  partition: number
  nextOffset: bigint | string
}

/**
 * The churn.features-changed.v1 announcement of one customer changed by a folded batch; its eventId
 * is stable for (batch, customer), so announcing the same batch again repeats the id.
 */
export function featuresChangedEvent(
  batch: FoldedBatchRef,
  change: { customerId: string; eventCount: number; maxOccurredAt: string; changedAt: string },
): FeaturesChangedEvent {
  return {
    eventId: digest('fc-', [batch.topic, String(batch.partition), String(batch.nextOffset), change.customerId]),
    customerId: change.customerId,
    eventCount: change.eventCount,
    maxOccurredAt: change.maxOccurredAt,
    changedAt: change.changedAt,
  }
}
