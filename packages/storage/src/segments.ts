import type { Queryable } from './pool.js'

/**
 * Every customer's account segment as of `asOf`: the latest account event at or before it that
 * sent `segment` (null clears it, and cleared customers are left out). For per-segment churn tests.
 */
export async function readSegmentsAsOf(db: Queryable, asOf: Date): Promise<Map<string, string>> {
  const { rows } = await db.query<{ customer_id: string; segment: string | null }>(
    `SELECT DISTINCT ON (customer_id) customer_id, fields->>'segment' AS segment
     FROM account_events
     WHERE fields ? 'segment' AND occurred_at <= $1
     ORDER BY customer_id, occurred_at DESC, event_id DESC`,
    [asOf],
  )
  return new Map(rows.filter((r) => r.segment !== null).map((r) => [r.customer_id, r.segment as string]))
}
