import type { BillingRecord } from './history.js'

export type SubscriptionStatus = 'none' | 'active' | 'canceling' | 'ended'

/** A customer's subscription as of one instant, folded from billing events up to it. */
export interface SubscriptionState {
  status: SubscriptionStatus
  plan: string | null
  /** Contracted MRR in minor units; after an end it keeps the last value (the MRR that churned). */
  mrr: number
  firstStartedAt: number | null
  /** Start of the current period of activity (a start, or a reactivation after an end). */
  currentStartedAt: number | null
  canceledAt: number | null
  endedAt: number | null
  endReason: string | null
  endVoluntary: boolean | null
  lastPaidAt: number | null
  lastFailedAt: number | null
  reactivations: number
}

const EMPTY: SubscriptionState = {
  status: 'none',
  plan: null,
  mrr: 0,
  firstStartedAt: null,
  currentStartedAt: null,
  canceledAt: null,
  endedAt: null,
  endReason: null,
  endVoluntary: null,
  lastPaidAt: null,
  lastFailedAt: null,
  reactivations: 0,
}

/** Orders billing events by event time, then eventId, so that folding is deterministic. */
export function sortBilling(billing: readonly BillingRecord[]): BillingRecord[] {
  return [...billing].sort((a, b) => a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0))
}

/**
 * Folds billing events with occurredAt <= asOf (epoch ms) into the subscription state at asOf.
 * Expects events sorted with `sortBilling`; events after asOf are ignored, whatever their order.
 */
export function subscriptionStateAt(sortedBilling: readonly BillingRecord[], asOf: number): SubscriptionState {
  const s: SubscriptionState = { ...EMPTY }
  for (const e of sortedBilling) {
    if (e.occurredAt > asOf) break
    applyBillingEvent(s, e)
  }
  return s
}

/** True when the customer is a paying customer at asOf: started (or reactivated) and not ended. */
export function isActiveAt(sortedBilling: readonly BillingRecord[], asOf: number): boolean {
  const status = subscriptionStateAt(sortedBilling, asOf).status
  return status === 'active' || status === 'canceling'
}

function applyBillingEvent(s: SubscriptionState, e: BillingRecord): void {
  switch (e.type) {
    case 'subscription_started':
      s.status = 'active'
      s.firstStartedAt ??= e.occurredAt
      s.currentStartedAt = e.occurredAt
      s.canceledAt = null
      s.endedAt = null
      setPlanAndMrr(s, e)
      return
    case 'subscription_changed':
      setPlanAndMrr(s, e)
      return
    case 'invoice_paid':
      s.lastPaidAt = e.occurredAt
      return
    case 'payment_failed':
      s.lastFailedAt = e.occurredAt
      return
    case 'subscription_canceled':
      if (s.status === 'active') {
        s.status = 'canceling'
        s.canceledAt = e.occurredAt
      }
      return
    case 'subscription_ended':
      if (s.status === 'active' || s.status === 'canceling') {
        s.status = 'ended'
        s.endedAt = e.occurredAt
        s.endReason = e.reason ?? null
        s.endVoluntary = e.voluntary ?? null
      }
      return
    case 'subscription_reactivated':
      if (s.status === 'ended' || s.status === 'none') {
        s.currentStartedAt = e.occurredAt
        s.firstStartedAt ??= e.occurredAt
        s.endedAt = null
      }
      if (s.status !== 'active') s.reactivations += 1
      s.status = 'active'
      s.canceledAt = null
      setPlanAndMrr(s, e)
      return
  }
}

function setPlanAndMrr(s: SubscriptionState, e: BillingRecord): void {
  if (typeof e.mrr === 'number') s.mrr = e.mrr
  if (e.plan) s.plan = e.plan
}
