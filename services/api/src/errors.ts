import { ChurnwatchError, type ErrorCode } from '@churnwatch/contract'

/** The API's error catalogue: each code has one HTTP status and one problem type. */
export const API_ERRORS = {
  validation: { code: 'CW_API_VALIDATION', status: 400, title: 'Invalid request' },
  badRequest: { code: 'CW_API_BAD_REQUEST', status: 400, title: 'Bad request' },
  unauthorized: { code: 'CW_API_UNAUTHORIZED', status: 401, title: 'Unauthorized' },
  forbidden: { code: 'CW_API_FORBIDDEN', status: 403, title: 'Forbidden' },
  notFound: { code: 'CW_API_NOT_FOUND', status: 404, title: 'Not found' },
  methodNotAllowed: { code: 'CW_API_METHOD_NOT_ALLOWED', status: 405, title: 'Method not allowed' },
  conflict: { code: 'CW_API_CONFLICT', status: 409, title: 'Conflict' },
  requestTimeout: { code: 'CW_API_REQUEST_TIMEOUT', status: 408, title: 'Request timeout' },
  payloadTooLarge: { code: 'CW_API_PAYLOAD_TOO_LARGE', status: 413, title: 'Payload too large' },
  unsupportedMediaType: { code: 'CW_API_UNSUPPORTED_MEDIA_TYPE', status: 415, title: 'Unsupported media type' },
  rateLimited: { code: 'CW_API_RATE_LIMITED', status: 429, title: 'Too many requests' },
  headersTooLarge: { code: 'CW_API_HEADERS_TOO_LARGE', status: 431, title: 'Request header fields too large' },
  internal: { code: 'CW_API_INTERNAL', status: 500, title: 'Internal Server Error' },
  unavailable: { code: 'CW_API_UNAVAILABLE', status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { code: ErrorCode; status: number; title: string }>

export type ApiErrorKind = keyof typeof API_ERRORS

/** One field-level problem: a dotted path (`query.limit`, `body.events.3.occurredAt`) and why. */
export interface FieldError {
  path: string
  message: string
}

/** An error the API answers with as application/problem+json; `detail` is shown to the client. */
export class ApiError extends ChurnwatchError {
  readonly status: number
  readonly title: string
  readonly kind: ApiErrorKind

  constructor(
    kind: ApiErrorKind,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    const entry = API_ERRORS[kind]
    super(entry.code, detail, { retriable: entry.status === 503 || entry.status === 429 })
    this.name = 'ApiError'
    this.kind = kind
    this.status = entry.status
    this.title = entry.title
  }
}

/** The problem `type` URI of a catalogue entry: stable identifiers, documented in docs/adr/0006-api.md. */
export function problemType(kind: ApiErrorKind): string {
  return `https://churnwatch.dev/problems/${kind.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
}

export const notFound = (detail: string) => new ApiError('notFound', detail)
export const badRequest = (detail: string, errors?: FieldError[]) => new ApiError('validation', detail, errors ? { errors } : {})
export const conflict = (detail: string) => new ApiError('conflict', detail)
