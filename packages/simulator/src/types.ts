import type { BillingType, MRR_REQUIRED_BILLING_TYPES } from '@churnwatch/contract'

// The simulator's events are the contract's (a SimEvent is a ChurnEvent), narrowed to what it emits.

export type SimPlan = 'starter' | 'pro' | 'enterprise'

/** Customer segment (with `accounts` on); segments differ in plan mix, seats, churn hazard and annual share. */
export type SimSegment = 'smb' | 'mid_market' | 'enterprise'

/** Contract term of a subscription (with `contracts` on): billed and renewable monthly or yearly. */
export type SimInterval = 'month' | 'year'

export type SimUsageAction =
  | 'login'
  | 'dashboard_viewed'
  | 'api_call'
  | 'report_exported'
  | 'seat_added'
  | 'seat_removed'
  | 'support_ticket_opened'
  // Only with the `rareActions` option:
  | 'export_all_data'
  | 'seat_downgrade_requested'

export type SimCancelReason =
  | 'too_expensive'
  | 'missing_features'
  | 'switched_competitor'
  | 'no_longer_needed'
  | 'poor_support'

/** Reason on a voluntary cancel/end, or `payment_failed` on an involuntary end. */
export type SimChurnReason = SimCancelReason | 'payment_failed'

export type SimBillingType = BillingType

// Type aliases, not interfaces: the contract's events keep unknown fields (an index signature),
// which only an alias is assignable to.
export type SimUsageEvent = {
  eventId: string
  customerId: string
  occurredAt: string
  kind: 'usage'
  action: SimUsageAction
  quantity: number
  userId: string
}

/** Contract terms as the contract names them (Stripe's), set only with the `contracts` option. */
type SimTermFields = {
  interval?: SimInterval
  intervalCount?: number
  currentPeriodEnd?: string
  cancelAtPeriodEnd?: boolean
  effectiveAt?: string
}

type SimBillingFields = SimTermFields & {
  eventId: string
  customerId: string
  occurredAt: string
  kind: 'billing'
  currency: 'USD'
  plan?: SimPlan
  amount?: number
  reason?: SimChurnReason
  voluntary?: boolean
}

type MrrRequiredType = (typeof MRR_REQUIRED_BILLING_TYPES)[number]

/**
 * `mrr` is set on started/changed (as the contract requires) and reactivated, `amount` on
 * invoice_paid/payment_failed, `reason` and `voluntary` on canceled/ended; `currency` is always 'USD'.
 */
export type SimBillingEvent =
  | (SimBillingFields & { type: MrrRequiredType; mrr: number })
  | (SimBillingFields & { type: Exclude<BillingType, MrrRequiredType>; mrr?: number })

/** Account (CRM) event on churn.accounts.v1, emitted with the `accounts` option. */
export type SimAccountEvent = {
  eventId: string
  customerId: string
  occurredAt: string
  kind: 'account'
  name?: string
  segment?: SimSegment
  industry?: string
  country?: string
  ownerId?: string
  employees?: number
  attributes?: Record<string, string | number>
}

export type SimEvent = SimUsageEvent | SimBillingEvent | SimAccountEvent

/** The simulator's own 90-day churn probability for a customer active at `monthStart`. */
export interface SimMonthTruth {
  monthStart: string
  trueChurnProbability90d: number
}

/** One `subscription_ended` of a customer (a later comeback does not remove it). */
export interface SimChurn {
  endedAt: string
  voluntary: boolean
  reason: SimChurnReason
}

export interface CustomerTruth {
  customerId: string
  /** First `subscription_started` (before the simulation start for customers that already existed). */
  startedAt: string
  /** Last `subscription_ended` when the customer is not active at the end of the simulation, else null. */
  endedAt: string | null
  /** Whether that last end was voluntary; null while active. */
  voluntary: boolean | null
  /** Every end in order, including ones later undone by a comeback. */
  churns: SimChurn[]
  /** One entry per calendar month start (00:00Z on the 1st) at which the customer was active. */
  monthly: SimMonthTruth[]
  /** Contract term, with the `contracts` option. */
  interval?: SimInterval
  /** Segment, with the `accounts` option. */
  segment?: SimSegment
}

export interface SimulateOptions {
  /** Distinct customers over the whole run (those existing at the start plus later arrivals). */
  customers: number
  /** Simulated calendar months from `start`. */
  months: number
  /** Any safe integer; the same options and seed give a byte-identical event stream. */
  seed: number
  /** UTC midnight, ISO-8601; default '2025-01-01T00:00:00Z'. */
  start?: string
  /** Mean usage events per active user per day (aggregated with `quantity`); default 1. Scales volume. */
  eventsPerActiveUserPerDay?: number
  /** Share of customers already subscribed at `start` (backdated tenure up to 3 years); default 0.4. */
  initialCustomerShare?: number
  /** Multiplies the voluntary churn hazard; default 1. */
  churnScale?: number
  /**
   * Contract terms: annual contracts beside monthly ones, renewal dates on billing events, notice
   * before the period end. Off by default (no term fields, today's streams unchanged).
   */
  contracts?: SimContractOptions
  /**
   * Segments (smb, mid_market, enterprise) whose plan mix, seats, churn hazard and annual share
   * differ; an owner (CSM) per account; account events at sign-up and on owner changes. Default false.
   */
  accounts?: boolean
  /**
   * Rare negative actions (`export_all_data`, `seat_downgrade_requested`): a few a year for anyone,
   * far more often once a customer has decided to leave. Default false (no such events; today's
   * streams unchanged).
   */
  rareActions?: boolean
}

export interface SimContractOptions {
  /** Share of sign-ups on annual contracts, in [0, 1] (segments shift it per segment); default 0.4. */
  annualShare?: number
  /** Days before the renewal by which an annual customer must give notice; default 30. */
  noticeDays?: number
}

export type ResolvedSimulateOptions = Required<Omit<SimulateOptions, 'contracts'>> & {
  /** null = contracts off. */
  contracts: Required<SimContractOptions> | null
}

export interface Simulation {
  readonly options: ResolvedSimulateOptions
  /** Simulated interval [start, end), ISO-8601 UTC. */
  readonly start: string
  readonly end: string
  /** A fresh, deterministic pass over all events ordered by `occurredAt`; each call restarts. */
  events(): Generator<SimEvent, void, undefined>
  /** Ground truth per customer (computed once, then cached). */
  truth(): CustomerTruth[]
}
