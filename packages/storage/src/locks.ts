import type { Pool, PoolClient } from './pool.js'

// Every PostgreSQL advisory lock churnwatch takes, in one place so that no two uses share a key.
// Fixed keys live in 7_354_xxx; per-customer keys hash the customer id into the whole bigint space.

/** Keys of the process-wide advisory locks. */
export const ADVISORY_LOCKS = {
  /** Held (transaction-scoped) while migrations run, so concurrent starts migrate once. */
  migrations: 7_354_001,
  /** Held (session-scoped) by the one scorer instance sweeping every customer. */
  sweep: 7_354_002,
} as const

/** Seed of `hashtextextended` for per-customer lock keys; changing it lets old and new code run side by side unserialised. */
export const CUSTOMER_LOCK_HASH_SEED = 7354

/**
 * Serialises work on the given customers across transactions and instances (stream scoring vs
 * sweep): transaction-scoped advisory locks taken in a fixed order, so two batches cannot deadlock.
 */
export async function lockCustomers(tx: PoolClient, customerIds: readonly string[]): Promise<void> {
  if (customerIds.length === 0) return
  await tx.query(
    `SELECT pg_advisory_xact_lock(hashtextextended(id, $2)) FROM (SELECT DISTINCT unnest($1::text[]) AS id ORDER BY 1) ids`,
    [customerIds, CUSTOMER_LOCK_HASH_SEED],
  )
}

/**
 * Runs `fn` while this process holds the session-level advisory lock `key` on a dedicated
 * connection; resolves to `{ locked: false }` at once when another session holds it.
 */
export async function withSessionLock<T>(pool: Pool, key: number, fn: () => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }> {
  const client = await pool.connect()
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key])
    if (!rows[0]?.locked) return { locked: false }
    try {
      return { locked: true, value: await fn() }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key])
    }
  } finally {
    client.release()
  }
}
