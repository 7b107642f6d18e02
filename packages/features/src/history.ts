import type { BillingType } from '@churnwatch/contract'

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
}

/** Everything stored about one customer that features are computed from. */
export interface CustomerHistory {
  customerId: string
  activity: readonly DailyActivity[]
  users: readonly DailyUsers[]
  billing: readonly BillingRecord[]
}
