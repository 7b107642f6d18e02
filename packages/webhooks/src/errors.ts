import { ChurnwatchError, type ErrorCode } from '@churnwatch/contract'

/** Codes raised by the webhooks package. */
export const WEBHOOKS_ERROR_CODES = {
  /** A signing secret is not `whsec_<base64>` of 24-64 bytes: a configuration error, never retried. */
  invalidSecret: 'CW_WEBHOOKS_INVALID_SECRET',
  /** Dispatcher options that cannot work together (e.g. a lease shorter than a request). */
  invalidOptions: 'CW_WEBHOOKS_INVALID_OPTIONS',
} as const satisfies Record<string, ErrorCode>

export function invalidSecretError(reason: string): ChurnwatchError {
  return new ChurnwatchError(WEBHOOKS_ERROR_CODES.invalidSecret, `webhook secret ${reason}`, { retriable: false })
}

export function invalidOptionsError(reason: string): ChurnwatchError {
  return new ChurnwatchError(WEBHOOKS_ERROR_CODES.invalidOptions, `webhook dispatcher options: ${reason}`, { retriable: false })
}
