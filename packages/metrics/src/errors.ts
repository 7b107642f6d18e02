import { ChurnwatchError, type ErrorCode } from '@churnwatch/contract'

/** Codes raised by the metrics package; none is retriable (the caller's options are wrong). */
export const METRICS_ERROR_CODES = {
  /** A time range, interval or cohort option that cannot be computed (for example from > to). */
  invalidOptions: 'CW_METRICS_INVALID_OPTIONS',
} as const satisfies Record<string, ErrorCode>

export function metricsError(code: ErrorCode, message: string): ChurnwatchError {
  return new ChurnwatchError(code, message, { retriable: false })
}
