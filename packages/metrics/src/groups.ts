import { contractStateAt, type SubscriptionState } from '@churnwatch/features'
import type { Timeline } from './timeline.js'

/** What a metrics route can split its figures by. */
export const GROUP_BYS = ['segment', 'plan', 'ownerId', 'interval'] as const
export type GroupBy = (typeof GROUP_BYS)[number]

/**
 * The group of a customer at one instant (ADR 0014): `plan` from the subscription state, `interval`
 * from the contract terms (sent, or inferred from invoices), `segment` and `ownerId` from the latest
 * account event that set them. `inclusive` says whether events at the instant itself count: a
 * customer at a period's start is grouped by what held just before it (as it is counted), a
 * customer joining at T by what held at T (a sign-up account event sent with the start applies).
 * null when the value is unknown.
 */
export function groupAt(timeline: Timeline, groupBy: GroupBy, at: number, inclusive: boolean, state: SubscriptionState): string | null {
  // Epoch ms are integers: "just before T" is everything at or before T - 1.
  const asOf = inclusive ? at : at - 1
  switch (groupBy) {
    case 'plan':
      return state.plan
    case 'interval': {
      const contract = contractStateAt(timeline.billing, asOf, state)
      if (contract.interval === null) return null
      return contract.intervalCount !== null && contract.intervalCount > 1 ? `${contract.intervalCount}-${contract.interval}` : contract.interval
    }
    case 'segment':
    case 'ownerId': {
      let value: string | null = null
      for (const a of timeline.accounts) {
        if (a.occurredAt > asOf) break
        const sent = a[groupBy]
        // Absent leaves the earlier value; null clears it (the account fold's rule).
        if (sent !== undefined) value = sent
      }
      return value
    }
  }
}

/** Orders group keys: by value, the unknown (null) group last. */
export function compareGroups(a: string | null, b: string | null): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  return a < b ? -1 : 1
}
