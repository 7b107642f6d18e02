import pg from 'pg'

export type Pool = pg.Pool
export type PoolClient = pg.PoolClient
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>

export interface PoolOptions {
  connectionString: string
  max?: number
  applicationName?: string
  /** How long acquiring a connection may take before it fails (default 10 s); without it an unreachable server hangs callers. */
  connectionTimeoutMs?: number
}

// Parse int8 (bigint counts, sums) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))
// Keep `date` columns as 'YYYY-MM-DD' strings: a Date would shift with the local zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value)

/**
 * Creates a pg connection pool; the caller owns it and must `end()` it. An idle connection that the
 * server closes (restart, failover, terminated backend) is dropped from the pool and reported to
 * `onIdleError`; without a listener pg would throw it as an uncaught exception and kill the process.
 */
export function createPool(options: PoolOptions & { onIdleError?: (err: Error) => void }): Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'churnwatch',
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
  })
  pool.on('error', (err) => options.onIdleError?.(err))
  // pg-pool listens for errors only on idle clients: a server that goes away while a client is
  // checked out but between two queries (mid-transaction, or holding a session lock) would raise
  // an uncaught exception and kill the process. The caller learns of it from its next query (the
  // client is no longer queryable) and release() then drops the client, so this listener only has
  // to exist.
  pool.on('connect', (client) => client.on('error', () => undefined))
  return pool
}

/** Runs `work` inside one transaction on a dedicated client; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    // A client whose ROLLBACK fails is in an unknown state (usually the connection is gone): released with the error, the pool drops it.
    broken = await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackErr: unknown) => (rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr))),
    )
    throw err
  } finally {
    client.release(broken)
  }
}

/**
 * True when the database answers `SELECT 1` through the pool: the readiness check of a service
 * whose work needs the database. Never throws; the ops server bounds how long it may take.
 */
export async function pingDatabase(pool: Pool): Promise<boolean> {
  return pool.query('SELECT 1').then(
    () => true,
    () => false,
  )
}
