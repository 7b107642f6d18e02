import { ChurnwatchError, type ErrorCode } from '@churnwatch/contract'

/** Codes raised by the webhooks package. */
export const WEBHOOKS_ERROR_CODES = {
  /** A signing secret is not `whsec_<base64>` of 24-64 bytes: a configuration error, never retried. */
  invalidSecret: 'CW_WEBHOOKS_INVALID_SECRET',
  /** Dispatcher options that cannot work together (e.g. a lease shorter than a request). */
  invalidOptions: 'CW_WEBHOOKS_INVALID_OPTIONS',
  /** A webhook URL's host is, or resolves to, an address the destination policy refuses. */
  destinationRefused: 'CW_WEBHOOKS_DESTINATION_REFUSED',
} as const satisfies Record<string, ErrorCode>

export function invalidSecretError(reason: string): ChurnwatchError {
  return new ChurnwatchError(WEBHOOKS_ERROR_CODES.invalidSecret, `webhook secret ${reason}`, { retriable: false })
}

export function invalidOptionsError(reason: string): ChurnwatchError {
  return new ChurnwatchError(WEBHOOKS_ERROR_CODES.invalidOptions, `webhook dispatcher options: ${reason}`, { retriable: false })
}

/** Raised by the guard's `lookup` so that no socket opens; `address` is for operators' logs only. */
export class DestinationRefusedError extends ChurnwatchError {
  constructor(
    reason: string,
    readonly address: string,
  ) {
    // Retrying the same request at once changes nothing; the dispatcher schedules the next attempt.
    super(WEBHOOKS_ERROR_CODES.destinationRefused, reason, { retriable: false })
    this.name = 'DestinationRefusedError'
  }
}

export function destinationRefusedError(reason: string, address: string): DestinationRefusedError {
  return new DestinationRefusedError(reason, address)
}
