import type { BillingInterval, BillingType } from '@churnwatch/contract'

/** Usage of one action by one customer on one UTC day (a stored daily bucket). */
export interface DailyActivity {
  day: string
  action: string
  eventCount: number
  quantity: number
}

/** The distinct users (userId) active for a customer on one UTC day. */
export interface DailyUsers {
  day: string
  userIds: readonly string[]
}

/** One billing event as stored; `occurredAt` in epoch ms, money in integer minor units. */
export interface BillingRecord {
  eventId: string
  occurredAt: number
  type: BillingType
  mrr?: number | null
  amount?: number | null
  plan?: string | null
  reason?: string | null
  voluntary?: boolean | null
  /** Contract terms as sent (absent when the event carried none); instants in epoch ms. */
  interval?: BillingInterval | null
  intervalCount?: number | null
  currentPeriodEnd?: number | null
  cancelAtPeriodEnd?: boolean | null
  /** On subscription_canceled: when service ends. */
  effectiveAt?: number | null
}

/** Attribute values of an account event: null removes the key. */
export type AccountAttributeValue = string | number | null

/**
 * One account event as stored (`occurredAt` in epoch ms): only the fields it sent. An absent field
 * leaves the earlier value unchanged; null clears it (ADR 0002).
 */
export interface AccountRecord {
  eventId: string
  occurredAt: number
  name?: string | null
  segment?: string | null
  industry?: string | null
  country?: string | null
  ownerId?: string | null
  employees?: number | null
  attributes?: Readonly<Record<string, AccountAttributeValue>>
}

/** Everything stored about one customer that features are computed from. */
export interface CustomerHistory {
  customerId: string
  activity: readonly DailyActivity[]
  users: readonly DailyUsers[]
  billing: readonly BillingRecord[]
  /** Account (CRM) events in any order; absent where none were read. */
  accounts?: readonly AccountRecord[]
}
