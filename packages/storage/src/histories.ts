import type { BillingType } from '@churnwatch/contract'
import type { Queryable } from './pool.js'
import { readAccountHistories, readBillingHistories, type AccountRow, type BillingRow } from './feature-state.js'

// Features that count a customer's whole history (seats held) need these buckets whatever the window.
const ALL_HISTORY_ACTIONS = ['seat_added', 'seat_removed']

/** Everything stored about one customer, in the shape the features package computes from. */
export interface StoredHistory {
  customerId: string
  activity: Array<{ day: string; action: string; eventCount: number; quantity: number }>
  users: Array<{ day: string; userIds: string[] }>
  billing: BillingRow[]
  accounts: AccountRow[]
}

/**
 * Reads the histories of the given customers (set-based queries). `sinceDay` bounds the usage
 * read for scoring, which looks back 90 days; so that windowed and full reads give the same
 * features, it still returns every seat bucket (seats count all history) and, for each other
 * action used before the window, one bucket holding its total before the window, dated on its
 * last day there: lifetime counts and days since last activity need no more (ADR 0013). Billing
 * and account events are always read whole.
 */
export async function readCustomerHistories(
  db: Queryable,
  customerIds: readonly string[],
  options: { sinceDay?: string; untilDay?: string } = {},
): Promise<StoredHistory[]> {
  const histories = new Map<string, StoredHistory>(
    customerIds.map((id) => [id, { customerId: id, activity: [], users: [], billing: [], accounts: [] }]),
  )
  if (customerIds.length === 0) return []
  const since = options.sinceDay ?? '-infinity'
  const until = options.untilDay ?? 'infinity'
  // One row per customer with its buckets as JSON: JSON.parse in V8 is far cheaper than pg's
  // per-row, per-column parsing when scoring hundreds of thousands of customers.
  const [activity, users, billing, accounts] = await Promise.all([
    db.query<{ customer_id: string; rows: Array<[string, string, number, number]> }>(
      `SELECT customer_id, json_agg(json_build_array(day, action, event_count, quantity)) AS rows FROM (
         SELECT customer_id, day, action, event_count, quantity FROM daily_activity
         WHERE customer_id = ANY($1::text[]) AND day <= $3::date AND (day >= $2::date OR action = ANY($4::text[]))
         UNION ALL
         SELECT customer_id, max(day), action, sum(event_count), sum(quantity) FROM daily_activity
         WHERE customer_id = ANY($1::text[]) AND day < $2::date AND day <= $3::date AND NOT (action = ANY($4::text[]))
         GROUP BY customer_id, action
       ) buckets GROUP BY customer_id`,
      [customerIds, since, until, ALL_HISTORY_ACTIONS],
    ),
    db.query<{ customer_id: string; rows: Array<[string, string[]]> }>(
      `SELECT customer_id, json_agg(json_build_array(day, user_ids)) AS rows FROM (
         SELECT customer_id, day, array_agg(user_id ORDER BY user_id) AS user_ids FROM daily_users
         WHERE customer_id = ANY($1::text[]) AND day >= $2::date AND day <= $3::date GROUP BY customer_id, day
       ) days GROUP BY customer_id`,
      [customerIds, since, until],
    ),
    readBillingHistories(db, customerIds),
    readAccountHistories(db, customerIds),
  ])
  for (const r of activity.rows) {
    const history = histories.get(r.customer_id)
    if (!history) continue
    for (const [day, action, eventCount, quantity] of r.rows) history.activity.push({ day, action, eventCount, quantity })
  }
  for (const r of users.rows) {
    const history = histories.get(r.customer_id)
    if (!history) continue
    for (const [day, userIds] of r.rows) history.users.push({ day, userIds })
  }
  for (const [id, rows] of billing) {
    const history = histories.get(id)
    if (history) history.billing = rows
  }
  for (const [id, rows] of accounts) {
    const history = histories.get(id)
    if (history) history.accounts = rows
  }
  return [...histories.values()]
}

/**
 * An order-independent digest of all per-customer state tables: two runs over the same events
 * (with or without crashes, in any arrival order) must give the same digest.
 */
export async function digestFeatureState(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ digest: string }>(`
    SELECT md5(string_agg(part, '|' ORDER BY part)) AS digest FROM (
      SELECT 'a:' || md5(coalesce(string_agg(concat_ws(',', customer_id, day, action, event_count, quantity), ';'
               ORDER BY customer_id, day, action), '')) AS part FROM daily_activity
      UNION ALL
      SELECT 'u:' || md5(coalesce(string_agg(concat_ws(',', customer_id, day, user_id, event_count), ';'
               ORDER BY customer_id, day, user_id), '')) FROM daily_users
      UNION ALL
      SELECT 'b:' || md5(coalesce(string_agg(concat_ws(',', customer_id, occurred_at, event_id, type, mrr, amount, plan,
               reason, voluntary, terms), ';' ORDER BY customer_id, occurred_at, event_id), '')) FROM billing_events
      UNION ALL
      SELECT 'ac:' || md5(coalesce(string_agg(concat_ws(',', customer_id, occurred_at, event_id, fields), ';'
               ORDER BY customer_id, occurred_at, event_id), '')) FROM account_events
      UNION ALL
      SELECT 'c:' || md5(coalesce(string_agg(concat_ws(',', customer_id, first_seen_at, last_seen_at, last_activity_at,
               status, plan, mrr, started_at, ended_at, usage_events, billing_events), ';' ORDER BY customer_id), ''))
      FROM customers
      UNION ALL
      SELECT 'e:' || md5(coalesce(string_agg(concat_ws(',', customer_id, event_id), ';' ORDER BY customer_id, event_id), ''))
      FROM events
    ) parts`)
  return rows[0]?.digest ?? ''
}

/** Billing types that change a subscription's status or MRR (what churn metrics fold). */
export const LIFECYCLE_BILLING_TYPES: readonly BillingType[] = [
  'subscription_started',
  'subscription_changed',
  'subscription_canceled',
  'subscription_ended',
  'subscription_reactivated',
]

/**
 * Lifecycle billing events of every customer, grouped by customer in event-time order, read in
 * chunks of `chunkCustomers` customers (invoices and payments are left out: no metric needs them).
 * `until` (exclusive) drops later events.
 */
export async function readLifecycleHistories(
  db: Queryable,
  options: { until?: Date; chunkCustomers?: number } = {},
): Promise<Array<{ customerId: string; billing: BillingRow[] }>> {
  const chunk = options.chunkCustomers ?? 5_000
  const histories: Array<{ customerId: string; billing: BillingRow[] }> = []
  let after = ''
  for (;;) {
    const { rows: ids } = await db.query<{ customer_id: string }>(
      `SELECT DISTINCT customer_id FROM billing_events WHERE customer_id > $1 ORDER BY customer_id LIMIT $2`,
      [after, chunk],
    )
    const lastId = ids[ids.length - 1]?.customer_id
    if (lastId === undefined) break
    const { rows } = await db.query<{
      customer_id: string
      event_id: string
      occurred_at: Date
      type: BillingType
      mrr: number | null
      amount: number | null
      plan: string | null
      reason: string | null
      voluntary: boolean | null
    }>(
      `SELECT customer_id, event_id, occurred_at, type, mrr, amount, plan, reason, voluntary
       FROM billing_events
       WHERE customer_id > $1 AND customer_id <= $2 AND type = ANY($3::text[])
         AND ($4::timestamptz IS NULL OR occurred_at < $4)
       ORDER BY customer_id, occurred_at, event_id`,
      [after, lastId, LIFECYCLE_BILLING_TYPES, options.until ?? null],
    )
    let current: { customerId: string; billing: BillingRow[] } | undefined
    for (const r of rows) {
      if (current?.customerId !== r.customer_id) {
        current = { customerId: r.customer_id, billing: [] }
        histories.push(current)
      }
      current.billing.push({
        eventId: r.event_id,
        occurredAt: r.occurred_at.getTime(),
        type: r.type,
        mrr: r.mrr,
        amount: r.amount,
        plan: r.plan,
        reason: r.reason,
        voluntary: r.voluntary,
      })
    }
    after = lastId
    if (ids.length < chunk) break
  }
  return histories
}
