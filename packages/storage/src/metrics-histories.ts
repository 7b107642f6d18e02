import type { BillingType } from '@churnwatch/contract'
import type { AccountRow, BillingRow, BillingTerms } from './feature-state.js'
import { LIFECYCLE_BILLING_TYPES } from './histories.js'
import { withTransaction, type Pool, type Queryable } from './pool.js'

/** What churn and revenue metrics fold for one customer (ADR 0014). */
export interface MetricsHistory {
  customerId: string
  billing: BillingRow[]
  accounts: AccountRow[]
}

export interface MetricsHistoryOptions {
  /** Exclusive: later events are left out (default: none is). */
  until?: Date
  /** Only these customers (default: every customer). */
  customerIds?: readonly string[]
  /** Paid invoices too, from which a contract's interval is inferred (only grouping by interval needs them). */
  invoices?: boolean
  /** Account events (only grouping by segment or owner needs them); `attributes` are left out. */
  accounts?: boolean
  chunkCustomers?: number
}

type Tuple = [eventId: string, occurredAt: number, type: BillingType, mrr: number | null, amount: number | null, plan: string | null, reason: string | null, voluntary: boolean | null, terms: BillingTerms | null]

/**
 * Billing lifecycle events with their contract terms (and, on request, paid invoices and account
 * events) of every customer, before `until`, in customer order, read in chunks of customers with one
 * JSON row per customer (cheaper to parse than a row per event).
 */
export async function readMetricsHistories(db: Queryable, options: MetricsHistoryOptions): Promise<MetricsHistory[]> {
  const chunk = options.chunkCustomers ?? 10_000
  const types = options.invoices ? [...LIFECYCLE_BILLING_TYPES, 'invoice_paid'] : LIFECYCLE_BILLING_TYPES
  const until = options.until ?? 'infinity'
  const customerIds = options.customerIds ?? null
  const histories: MetricsHistory[] = []
  let after = ''
  for (;;) {
    const { rows } = await db.query<{ customer_id: string; rows: Tuple[] }>(
      `SELECT customer_id,
              json_agg(json_build_array(event_id, floor(extract(epoch FROM occurred_at) * 1000)::bigint, type, mrr, amount,
                                        plan, reason, voluntary, terms) ORDER BY occurred_at, event_id) AS rows
       FROM billing_events
       WHERE customer_id > $1 AND type = ANY($2::text[]) AND occurred_at < $3 AND ($5::text[] IS NULL OR customer_id = ANY($5::text[]))
       GROUP BY customer_id ORDER BY customer_id LIMIT $4`,
      [after, types, until, chunk, customerIds],
    )
    const lastId = rows[rows.length - 1]?.customer_id
    if (lastId === undefined) break
    const accounts = new Map<string, AccountRow[]>()
    if (options.accounts) {
      const { rows: accountRows } = await db.query<{ customer_id: string; rows: Array<[string, number, Omit<AccountRow, 'eventId' | 'occurredAt'>]> }>(
        `SELECT customer_id,
                json_agg(json_build_array(event_id, floor(extract(epoch FROM occurred_at) * 1000)::bigint, fields - 'attributes')
                         ORDER BY occurred_at, event_id) AS rows
         FROM account_events WHERE customer_id > $1 AND customer_id <= $2 AND occurred_at < $3
           AND ($4::text[] IS NULL OR customer_id = ANY($4::text[]))
         GROUP BY customer_id`,
        [after, lastId, until, customerIds],
      )
      for (const r of accountRows) accounts.set(r.customer_id, r.rows.map(([eventId, occurredAt, fields]) => ({ eventId, occurredAt, ...fields })))
    }
    for (const r of rows) {
      histories.push({
        customerId: r.customer_id,
        billing: r.rows.map(([eventId, occurredAt, type, mrr, amount, plan, reason, voluntary, terms]) => ({
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
        accounts: accounts.get(r.customer_id) ?? [],
      })
    }
    after = lastId
    if (rows.length < chunk) break
  }
  return histories
}

/** What readMetricsChanges read, and the snapshot to pass to its next call. */
export interface MetricsChanges {
  /** The database snapshot the read saw (pg_snapshot text). */
  snapshot: string
  /** Every customer's history (since was null), or only those of the customers in `changed`, with invoices and account events. */
  histories: MetricsHistory[]
  /** Customers with a billing or account event committed since `since` (null: a full read). */
  changed: string[] | null
}

/**
 * Reads, in one repeatable-read snapshot, either every customer's metric history (since null) or
 * only those of the customers with billing or account events committed after the snapshot `since`
 * of an earlier call (migration 0017's `tx` column; ADR 0014). Exact whatever the commit order:
 * a transaction still running at `since` is not visible in it, so its rows are found later.
 */
export async function readMetricsChanges(pool: Pool, since: string | null): Promise<MetricsChanges> {
  return withTransaction(pool, async (client) => {
    // The first statement of the transaction: everything below reads one snapshot.
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const { rows } = await client.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot')
    const snapshot = rows[0]?.snapshot ?? ''
    if (since === null) return { snapshot, histories: await readMetricsHistories(client, { invoices: true, accounts: true }), changed: null }
    const { rows: changedRows } = await client.query<{ customer_id: string }>(
      `SELECT customer_id FROM billing_events
       WHERE tx >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(tx, $1::pg_snapshot)
       UNION
       SELECT customer_id FROM account_events
       WHERE tx >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(tx, $1::pg_snapshot)`,
      [since],
    )
    const changed = changedRows.map((r) => r.customer_id)
    const histories = changed.length > 0 ? await readMetricsHistories(client, { invoices: true, accounts: true, customerIds: changed }) : []
    return { snapshot, histories, changed }
  })
}
