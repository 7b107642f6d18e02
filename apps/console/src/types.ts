// Shapes of the v1 API responses the console reads (see /openapi.json); money in integer minor units.
// The contract's alert kinds are imported as a type only (nothing of it is bundled): a new kind fails
// to compile until it has a label.
import type { AlertKind } from '@churnwatch/contract'

export type RiskBand = 'low' | 'medium' | 'high'
export const RISK_BANDS: readonly RiskBand[] = ['high', 'medium', 'low']
export type { AlertKind }

/** Every alert kind with its label, in the order the inbox shows them. */
export const ALERT_KIND_LABELS: Record<AlertKind, string> = {
  risk_high: 'High risk',
  payment_failed: 'Payment failed',
  cancel_requested: 'Cancel requested',
  usage_drop: 'Usage drop',
  renewal_at_risk: 'Renewal at risk',
  churn_rate_spike: 'Churn rate spike',
}
export const ALERT_KINDS = Object.keys(ALERT_KIND_LABELS) as AlertKind[]
export type AlertStatus = 'open' | 'acknowledged' | 'resolved'

export interface Driver {
  feature: string
  value: number
  contribution: number
  sentence: string
}

export interface RiskListItem {
  customerId: string
  probability: number
  band: RiskBand
  revenueAtRisk: number
  mrr: number
  plan: string | null
  drivers: Driver[]
  modelVersion: string
  asOf: string
  scoredAt: string
  changeSeq: number
}

export interface Risk extends RiskListItem {
  keyFeatures: Array<{ name: string; value: number; description: string | null; unit: string | null }>
}

export interface RiskPage {
  data: RiskListItem[]
  nextCursor: string | null
  walkStartedAt: string | null
}

export interface HistoryEntry {
  asOf: string
  scoredAt: string
  probability: number
  band: RiskBand
  drivers: Driver[]
  modelVersion: string
}

export interface Alert {
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
  acknowledgedAt: string | null
  resolvedAt: string | null
  resolution: string | null
}

export interface Session {
  keyId: string
  name: string
  scopes: string[]
  expiresAt: string
  csrfToken: string
}

export interface ModelDetail {
  version: string
  metrics: Record<string, unknown>
}

export interface ChurnSplit {
  voluntary: number
  involuntary: number
  unknown: number
}

export interface ChurnPeriod {
  period: string
  start: string
  end: string
  customersAtStart: number
  newCustomers: number
  reactivations: number
  churned: number
  churnedNewInPeriod: number
  customerChurnRate: number | null
  mrrAtStart: number
  newMrr: number
  expansionMrr: number
  contractionMrr: number
  churnedMrr: number
  grossMrrChurnRate: number | null
  netMrrChurnRate: number | null
  churnedByKind: ChurnSplit
  earlyChurn: number
  cancellationReasons: Record<string, number>
}

export interface ChurnMetrics {
  from: string
  to: string
  interval: string
  definition: string
  periods: ChurnPeriod[]
}

export interface RetentionCohort {
  cohort: string
  size: number
  retained: number[]
  retainedRate: number[]
}
