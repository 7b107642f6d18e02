import { ChurnwatchError } from '@churnwatch/contract'

// SQLSTATE classes that mean "the database is not reachable or not ready right now".
const RETRIABLE_SQLSTATE_PREFIXES = ['08', '53', '57P', '40001', '40P01']
const RETRIABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])

/** True when a pg error is worth retrying (connection loss, overload, serialization failure). */
export function isRetriableDbError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string') return /Connection terminated|timeout/i.test(err.message)
  return RETRIABLE_NODE_CODES.has(code) || RETRIABLE_SQLSTATE_PREFIXES.some((p) => code.startsWith(p))
}

/** Wraps a pg error as CW_STORAGE_UNAVAILABLE (retriable) or CW_STORAGE_QUERY_FAILED. */
export function toStorageError(err: unknown, what: string): ChurnwatchError {
  if (err instanceof ChurnwatchError) return err
  const retriable = isRetriableDbError(err)
  return new ChurnwatchError(
    retriable ? 'CW_STORAGE_UNAVAILABLE' : 'CW_STORAGE_QUERY_FAILED',
    `${what}: ${err instanceof Error ? err.message : String(err)}`,
    { retriable, cause: err },
  )
}
