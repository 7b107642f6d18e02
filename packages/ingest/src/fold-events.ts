import type { AccountEvent, BillingEvent, ChurnEvent, UsageEvent } from '@churnwatch/contract'
import { bucketUsageEvents, contractTermsOf, sortBilling, subscriptionStateAt, toEpochMs } from '@churnwatch/features'
import {
  addUsageDeltas,
  addUsageSummaries,
  insertAccountEvents,
  insertBillingEvents,
  insertNewEvents,
  readBillingHistories,
  upsertCustomerStates,
  type CustomerStateRow,
  type PoolClient,
  type UsageSummaryRow,
} from '@churnwatch/storage'

/** What a fold's new events did to one customer (epoch-ms event times). */
export interface CustomerTouch {
  events: number
  maxAt: number
  usageEvents: number
  usageFirstAt: number
  usageLastAt: number
}

export interface FoldResult {
  /** The events that were new (a repeated eventId changes nothing). */
  fresh: ChurnEvent[]
  usage: number
  billing: number
  accounts: number
  /** Every customer the new events touched. */
  customers: Map<string, CustomerTouch>
}

/**
 * Folds validated events into the per-customer state inside the caller's transaction: raw
 * events (deduplicated), daily buckets, billing history (with contract terms), account events and
 * each touched customer's refolded subscription state. The one fold used by the feature builder's stream, the CLI's backfill and tests.
 */
export async function foldEvents(tx: PoolClient, events: readonly ChurnEvent[]): Promise<FoldResult> {
  const fresh = await insertNewEvents(tx, events)
  const { usage, billing, accounts, customers } = splitFresh(fresh)
  await foldUsage(tx, usage, customers)
  await foldBilling(tx, billing)
  // Account events are history only: "as of T" is computed when reading (accountAsOf), so nothing is refolded.
  await insertAccountEvents(tx, accounts)
  return { fresh, usage: usage.length, billing: billing.length, accounts: accounts.length, customers }
}

// One pass over the new events: each occurredAt is parsed once for the summaries and announcements.
function splitFresh(fresh: readonly ChurnEvent[]) {
  const usage: UsageEvent[] = []
  const billing: BillingEvent[] = []
  const accounts: AccountEvent[] = []
  const customers = new Map<string, CustomerTouch>()
  for (const e of fresh) {
    const at = toEpochMs(e.occurredAt)
    let touch = customers.get(e.customerId)
    if (!touch) {
      touch = { events: 0, maxAt: at, usageEvents: 0, usageFirstAt: at, usageLastAt: at }
      customers.set(e.customerId, touch)
    }
    touch.events += 1
    if (at > touch.maxAt) touch.maxAt = at
    if (e.kind === 'usage') {
      usage.push(e)
      if (touch.usageEvents === 0 || at < touch.usageFirstAt) touch.usageFirstAt = at
      if (touch.usageEvents === 0 || at > touch.usageLastAt) touch.usageLastAt = at
      touch.usageEvents += 1
    } else if (e.kind === 'billing') {
      billing.push(e)
    } else {
      accounts.push(e)
    }
  }
  return { usage, billing, accounts, customers }
}

async function foldUsage(tx: PoolClient, events: UsageEvent[], customers: Map<string, CustomerTouch>): Promise<void> {
  if (events.length === 0) return
  const { activity, users } = bucketUsageEvents(events)
  await addUsageDeltas(tx, activity, users)
  await addUsageSummaries(tx, summarizeUsage(customers))
}

// Billing changes the subscription state as of any time, so the customer's whole billing history
// is refolded: a late event lands where its event time says.
async function foldBilling(tx: PoolClient, events: BillingEvent[]): Promise<void> {
  if (events.length === 0) return
  await insertBillingEvents(tx, events, contractTermsOf)
  const customerIds = [...new Set(events.map((e) => e.customerId))]
  const histories = await readBillingHistories(tx, customerIds)
  const states: CustomerStateRow[] = []
  for (const customerId of customerIds) {
    const billing = sortBilling(histories.get(customerId) ?? [])
    const first = billing[0]
    const last = billing[billing.length - 1]
    if (!first || !last) continue
    const state = subscriptionStateAt(billing, Number.POSITIVE_INFINITY)
    states.push({
      customerId,
      status: state.status,
      plan: state.plan,
      mrr: state.mrr,
      startedAt: state.currentStartedAt,
      endedAt: state.endedAt,
      firstBillingAt: first.occurredAt,
      lastBillingAt: last.occurredAt,
      billingEvents: billing.length,
    })
  }
  await upsertCustomerStates(tx, states)
}

function summarizeUsage(customers: Map<string, CustomerTouch>): UsageSummaryRow[] {
  const rows: UsageSummaryRow[] = []
  for (const [customerId, t] of customers) {
    if (t.usageEvents === 0) continue
    rows.push({
      customerId,
      firstAt: new Date(t.usageFirstAt).toISOString(),
      lastAt: new Date(t.usageLastAt).toISOString(),
      events: t.usageEvents,
    })
  }
  return rows
}
