import type { AccountEvent, BillingEvent, BillingInterval } from '@churnwatch/contract'
import type { PoolClient, Queryable } from './pool.js'

/** A daily bucket increment, as produced by the features package's bucketing. */
export interface ActivityDeltaRow {
  customerId: string
  day: string
  action: string
  eventCount: number
  quantity: number
}

export interface UserDayDeltaRow {
  customerId: string
  day: string
  userId: string
  eventCount: number
}

/** What a batch saw of one customer's usage: event-time range and count. */
export interface UsageSummaryRow {
  customerId: string
  firstAt: string
  lastAt: string
  events: number
}

/** The latest subscription state of a customer, folded by the caller from its billing history. */
export interface CustomerStateRow {
  customerId: string
  status: string
  plan: string | null
  mrr: number
  startedAt: number | null
  endedAt: number | null
  firstBillingAt: number
  lastBillingAt: number
  billingEvents: number
}

// Row sets travel as one JSON document each (json_to_recordset): PostgreSQL parses it once and no
// per-element array escaping runs in JS. Rows are written in key order (COLLATE "C": any fixed order
// will do) so that concurrent batches, e.g. a usage and a billing partition touching the same
// customers, take row locks in the same order instead of deadlocking.

/** Adds usage deltas to the daily buckets: one statement per table for the whole batch. */
export async function addUsageDeltas(
  db: PoolClient,
  activity: readonly ActivityDeltaRow[],
  users: readonly UserDayDeltaRow[],
): Promise<void> {
  if (activity.length > 0) {
    await db.query(
      `INSERT INTO daily_activity AS d (customer_id, day, action, event_count, quantity)
       SELECT r."customerId", r.day, r.action, r."eventCount", r.quantity
       FROM json_to_recordset($1::json) AS r("customerId" text, day date, action text, "eventCount" bigint, quantity float8)
       ORDER BY r."customerId" COLLATE "C", r.day, r.action COLLATE "C"
       ON CONFLICT (customer_id, day, action) DO UPDATE
         SET event_count = d.event_count + excluded.event_count, quantity = d.quantity + excluded.quantity`,
      [JSON.stringify(activity)],
    )
  }
  if (users.length > 0) {
    await db.query(
      `INSERT INTO daily_users AS d (customer_id, day, user_id, event_count)
       SELECT r."customerId", r.day, r."userId", r."eventCount"
       FROM json_to_recordset($1::json) AS r("customerId" text, day date, "userId" text, "eventCount" bigint)
       ORDER BY r."customerId" COLLATE "C", r.day, r."userId" COLLATE "C"
       ON CONFLICT (customer_id, day, user_id) DO UPDATE SET event_count = d.event_count + excluded.event_count`,
      [JSON.stringify(users)],
    )
  }
}

/** Upserts first/last seen and usage counters for the customers a batch touched. */
export async function addUsageSummaries(db: PoolClient, summaries: readonly UsageSummaryRow[]): Promise<void> {
  if (summaries.length === 0) return
  await db.query(
    `INSERT INTO customers AS c (customer_id, first_seen_at, last_seen_at, last_activity_at, status, usage_events)
     SELECT r."customerId", r."firstAt", r."lastAt", r."lastAt", 'none', r.events
     FROM json_to_recordset($1::json) AS r("customerId" text, "firstAt" timestamptz, "lastAt" timestamptz, events bigint)
     ORDER BY r."customerId" COLLATE "C"
     ON CONFLICT (customer_id) DO UPDATE SET
       first_seen_at = LEAST(c.first_seen_at, excluded.first_seen_at),
       last_seen_at = GREATEST(c.last_seen_at, excluded.last_seen_at),
       last_activity_at = GREATEST(c.last_activity_at, excluded.last_activity_at),
       usage_events = c.usage_events + excluded.usage_events,
       updated_at = now()`,
    [JSON.stringify(summaries)],
  )
}

/** Contract terms in stored form (the features package's `contractTermsOf`): only those sent, instants in epoch ms. */
export interface BillingTerms {
  interval?: BillingInterval | null
  intervalCount?: number | null
  currentPeriodEnd?: number | null
  cancelAtPeriodEnd?: boolean | null
  effectiveAt?: number | null
}

/**
 * Inserts billing events (already deduplicated by the caller) in one statement. `termsOf` gives
 * each event's contract terms in stored form; storage does not interpret the contract itself.
 */
export async function insertBillingEvents(
  db: PoolClient,
  events: readonly BillingEvent[],
  termsOf: (event: BillingEvent) => BillingTerms = () => ({}),
): Promise<void> {
  if (events.length === 0) return
  // Named fields only: an unknown extra field of the event can never reach a column.
  const rows = events.map((e) => {
    const terms = termsOf(e)
    return {
      customerId: e.customerId,
      occurredAt: e.occurredAt,
      eventId: e.eventId,
      type: e.type,
      mrr: e.mrr,
      amount: e.amount,
      currency: e.currency,
      plan: e.plan,
      reason: e.reason,
      voluntary: e.voluntary,
      terms: Object.keys(terms).length > 0 ? terms : null,
    }
  })
  await db.query(
    `INSERT INTO billing_events (customer_id, occurred_at, event_id, type, mrr, amount, currency, plan, reason, voluntary, terms)
     SELECT r."customerId", r."occurredAt", r."eventId", r.type, r.mrr, r.amount, r.currency, r.plan, r.reason, r.voluntary, r.terms
     FROM json_to_recordset($1::json) AS r("customerId" text, "occurredAt" timestamptz, "eventId" text, type text,
                                           mrr bigint, amount bigint, currency text, plan text, reason text, voluntary boolean,
                                           terms jsonb)
     ORDER BY r."customerId" COLLATE "C", r."occurredAt", r."eventId" COLLATE "C"
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  )
}

/** The descriptive fields of an account event that are stored; every other field stays in events.payload. */
const ACCOUNT_EVENT_FIELDS = ['name', 'segment', 'industry', 'country', 'ownerId', 'employees', 'attributes'] as const

/** Inserts account events (already deduplicated by the caller) with only the fields they sent, nulls kept. */
export async function insertAccountEvents(db: PoolClient, events: readonly AccountEvent[]): Promise<void> {
  if (events.length === 0) return
  const rows = events.map((e) => {
    const fields: Record<string, unknown> = {}
    for (const key of ACCOUNT_EVENT_FIELDS) if (e[key] !== undefined) fields[key] = e[key]
    return { customerId: e.customerId, occurredAt: e.occurredAt, eventId: e.eventId, fields }
  })
  await db.query(
    `INSERT INTO account_events (customer_id, occurred_at, event_id, fields)
     SELECT r."customerId", r."occurredAt", r."eventId", r.fields
     FROM json_to_recordset($1::json) AS r("customerId" text, "occurredAt" timestamptz, "eventId" text, fields jsonb)
     ORDER BY r."customerId" COLLATE "C", r."occurredAt", r."eventId" COLLATE "C"
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  )
}

/** Stored account events of the given customers, in event-time order (epoch-ms times, only the fields sent). */
export async function readAccountHistories(db: Queryable, customerIds: readonly string[]): Promise<Map<string, AccountRow[]>> {
  const byCustomer = new Map<string, AccountRow[]>()
  if (customerIds.length === 0) return byCustomer
  const { rows } = await db.query<{ customer_id: string; rows: Array<[string, number, Omit<AccountRow, 'eventId' | 'occurredAt'>]> }>(
    `SELECT customer_id,
            json_agg(json_build_array(event_id, floor(extract(epoch FROM occurred_at) * 1000)::bigint, fields)
                     ORDER BY occurred_at, event_id) AS rows
     FROM account_events WHERE customer_id = ANY($1::text[]) GROUP BY customer_id`,
    [customerIds],
  )
  for (const r of rows) byCustomer.set(r.customer_id, r.rows.map(([eventId, occurredAt, fields]) => ({ eventId, occurredAt, ...fields })))
  return byCustomer
}

/** Stored billing history of the given customers, in event-time order (epoch-ms times). */
export async function readBillingHistories(db: Queryable, customerIds: readonly string[]): Promise<Map<string, BillingRow[]>> {
  const byCustomer = new Map<string, BillingRow[]>()
  if (customerIds.length === 0) return byCustomer
  // One JSON row per customer with epoch-ms times: parsing a row and a timestamp per event in pg's
  // driver cost more than the rest of scoring a million customers (floor: Date truncates microseconds).
  const { rows } = await db.query<{ customer_id: string; rows: RawBillingTuple[] }>(
    `SELECT customer_id,
            json_agg(json_build_array(event_id, floor(extract(epoch FROM occurred_at) * 1000)::bigint, type, mrr, amount,
                                      plan, reason, voluntary, terms) ORDER BY occurred_at, event_id) AS rows
     FROM billing_events WHERE customer_id = ANY($1::text[]) GROUP BY customer_id`,
    [customerIds],
  )
  for (const r of rows) {
    byCustomer.set(
      r.customer_id,
      r.rows.map(([eventId, occurredAt, type, mrr, amount, plan, reason, voluntary, terms]) => ({
        eventId,
        occurredAt,
        type,
        mrr,
        amount,
        plan,
        reason,
        voluntary,
        ...terms,
      })),
    )
  }
  return byCustomer
}

/** Writes the folded subscription state of customers whose billing history changed. */
export async function upsertCustomerStates(db: PoolClient, states: readonly CustomerStateRow[]): Promise<void> {
  if (states.length === 0) return
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
  const rows = states.map((s) => ({
    customerId: s.customerId,
    firstAt: iso(s.firstBillingAt),
    lastAt: iso(s.lastBillingAt),
    status: s.status,
    plan: s.plan,
    mrr: s.mrr,
    startedAt: iso(s.startedAt),
    endedAt: iso(s.endedAt),
    billingEvents: s.billingEvents,
  }))
  await db.query(
    `INSERT INTO customers AS c (customer_id, first_seen_at, last_seen_at, status, plan, mrr, started_at, ended_at, billing_events)
     SELECT r."customerId", r."firstAt", r."lastAt", r.status, r.plan, r.mrr, r."startedAt", r."endedAt", r."billingEvents"
     FROM json_to_recordset($1::json) AS r("customerId" text, "firstAt" timestamptz, "lastAt" timestamptz, status text,
                                           plan text, mrr bigint, "startedAt" timestamptz, "endedAt" timestamptz,
                                           "billingEvents" bigint)
     ORDER BY r."customerId" COLLATE "C"
     ON CONFLICT (customer_id) DO UPDATE SET
       first_seen_at = LEAST(c.first_seen_at, excluded.first_seen_at),
       last_seen_at = GREATEST(c.last_seen_at, excluded.last_seen_at),
       status = excluded.status, plan = excluded.plan, mrr = excluded.mrr,
       started_at = excluded.started_at, ended_at = excluded.ended_at,
       billing_events = excluded.billing_events, updated_at = now()`,
    [JSON.stringify(rows)],
  )
}

/** A stored account event in the shape the features package folds (epoch-ms time, only the fields sent). */
export interface AccountRow {
  eventId: string
  occurredAt: number
  name?: string | null
  segment?: string | null
  industry?: string | null
  country?: string | null
  ownerId?: string | null
  employees?: number | null
  attributes?: Record<string, string | number | null>
}

/** A stored billing event in the shape the features package folds (epoch-ms time). */
export interface BillingRow extends BillingTerms {
  eventId: string
  occurredAt: number
  type: BillingEvent['type']
  mrr: number | null
  amount: number | null
  plan: string | null
  reason: string | null
  voluntary: boolean | null
}

type RawBillingTuple = [
  eventId: string,
  occurredAt: number,
  type: BillingEvent['type'],
  mrr: number | null,
  amount: number | null,
  plan: string | null,
  reason: string | null,
  voluntary: boolean | null,
  terms: BillingTerms | null,
]
