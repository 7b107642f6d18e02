import type { Queryable } from './pool.js'

/**
 * Customer ids in id order after `afterId` (keyset pagination), for jobs that walk every
 * customer in bounded chunks. Includes ended customers: point-in-time jobs decide activity.
 */
export async function listCustomerIds(db: Queryable, options: { afterId?: string; limit: number }): Promise<string[]> {
  const { rows } = await db.query<{ customer_id: string }>(
    `SELECT customer_id FROM customers WHERE customer_id > $1 ORDER BY customer_id LIMIT $2`,
    [options.afterId ?? '', options.limit],
  )
  return rows.map((r) => r.customer_id)
}

/** Earliest and latest event time stored (billing or usage), or null when empty. */
export async function storedEventRange(db: Queryable): Promise<{ first: Date; last: Date } | null> {
  const { rows } = await db.query<{ first: Date | null; last: Date | null }>(
    `SELECT min(first_seen_at) AS first, max(last_seen_at) AS last FROM customers`,
  )
  const row = rows[0]
  return row?.first && row.last ? { first: row.first, last: row.last } : null
}

/** The most used actions (by event count) on days before `beforeDay`, most used first. */
export async function topActions(db: Queryable, options: { beforeDay: string; limit: number }): Promise<string[]> {
  const { rows } = await db.query<{ action: string }>(
    `SELECT action FROM daily_activity WHERE day < $1::date GROUP BY action ORDER BY sum(event_count) DESC, action LIMIT $2`,
    [options.beforeDay, options.limit],
  )
  return rows.map((r) => r.action)
}

/** The first UTC day with stored usage, or null: where usage history begins. */
export async function firstUsageDay(db: Queryable): Promise<string | null> {
  const { rows } = await db.query<{ day: string | null }>(`SELECT min(day)::text AS day FROM daily_activity`)
  return rows[0]?.day ?? null
}

/** The subset of `customerIds` that churnwatch knows (any stored state, score or score history). */
export async function knownCustomers(db: Queryable, customerIds: readonly string[]): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set()
  const { rows } = await db.query<{ customer_id: string }>(
    `SELECT customer_id FROM customers WHERE customer_id = ANY($1::text[])
     UNION SELECT customer_id FROM risk_scores WHERE customer_id = ANY($1::text[])
     UNION SELECT DISTINCT customer_id FROM risk_score_history WHERE customer_id = ANY($1::text[])`,
    [customerIds],
  )
  return new Set(rows.map((r) => r.customer_id))
}
