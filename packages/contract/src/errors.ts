/** Error codes follow `CW_<AREA>_<WHAT>`; each package declares its own in its errors.ts. */
export type ErrorCode = `CW_${string}`

/** Codes raised or reported by the contract package. */
export const CONTRACT_ERROR_CODES = {
  /** An input message failed validation; dead-letter events carry this code. */
  invalidEvent: 'CW_CONTRACT_INVALID_EVENT',
} as const satisfies Record<string, ErrorCode>

export class ChurnwatchError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly opts: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause })
    this.name = 'ChurnwatchError'
  }
}

/** True when `err` is a ChurnwatchError (any code). */
export function isChurnwatchError(err: unknown): err is ChurnwatchError {
  return err instanceof ChurnwatchError
}

/**
 * True when retrying may succeed: a ChurnwatchError marked retriable, or any error carrying
 * `retriable: true` (kafkajs's convention). Everything else, programmer errors included, is not.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof ChurnwatchError) return err.opts.retriable === true
  if (typeof err === 'object' && err !== null && 'retriable' in err) return err.retriable === true
  return false
}
