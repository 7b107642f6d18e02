import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { invalidSecretError } from './errors.js'

// Standard Webhooks (https://www.standardwebhooks.com): symmetric v1 signatures only.
// Written on node:crypto rather than the reference `standardwebhooks` package: it is a few
// lines, takes the clock as an argument (the reference reads Date.now()), signs raw bytes
// without a string round-trip, and returns a value instead of throwing on bad input.

export const SECRET_PREFIX = 'whsec_'
export const DEFAULT_TOLERANCE_SEC = 5 * 60
const SECRET_BYTES = 32
const MIN_SECRET_BYTES = 24
const MAX_SECRET_BYTES = 64
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const

export interface SignInput {
  /** The message id: the same on every retry and redelivery of a message. */
  id: string
  /** Unix seconds of this attempt. */
  timestamp: number
  /** The exact bytes sent as the request body. */
  body: string | Uint8Array
  /** `whsec_<base64>`; the HMAC key is the decoded part. */
  secret: string
}

export type WebhookHeaders = Record<(typeof WEBHOOK_HEADERS)[keyof typeof WEBHOOK_HEADERS], string>

/** Anything that holds request headers: a fetch `Headers` or a Node header record. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>

export type VerifyFailure = 'missing_headers' | 'invalid_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'no_matching_signature'

export type VerifyResult = { ok: true; id: string; timestamp: number } | { ok: false; reason: VerifyFailure }

export interface VerifyOptions {
  /** The receiver's current time; the timestamp must be within `toleranceSec` of it either way. */
  now: Date
  toleranceSec?: number
}

/** A new random signing secret, `whsec_` + base64 of 32 bytes. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`
}

/** The HMAC key of a `whsec_<base64>` secret; throws CW_WEBHOOKS_INVALID_SECRET when malformed. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw invalidSecretError(`must start with ${SECRET_PREFIX}`)
  const encoded = secret.slice(SECRET_PREFIX.length)
  if (!BASE64.test(encoded)) throw invalidSecretError('must be whsec_ followed by standard base64')
  const key = Buffer.from(encoded, 'base64')
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw invalidSecretError(`must decode to ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes, got ${key.length}`)
  }
  return key
}

/** The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signWebhook(input: SignInput): string {
  return `v1,${hmac(secretKey(input.secret), input.id, input.timestamp, input.body).toString('base64')}`
}

/** The three Standard Webhooks headers for one attempt. */
export function webhookHeaders(input: SignInput): WebhookHeaders {
  return {
    [WEBHOOK_HEADERS.id]: input.id,
    [WEBHOOK_HEADERS.timestamp]: String(input.timestamp),
    [WEBHOOK_HEADERS.signature]: signWebhook(input),
  }
}

/**
 * Checks a received webhook: headers present, timestamp within tolerance of `now`, and one of
 * the space-separated `v1,` signatures matching (compared in constant time). Returns why not.
 */
export function verifyWebhook(headers: HeadersLike, body: string | Uint8Array, secret: string, options: VerifyOptions): VerifyResult {
  const id = readHeader(headers, WEBHOOK_HEADERS.id)
  const timestampText = readHeader(headers, WEBHOOK_HEADERS.timestamp)
  const signatures = readHeader(headers, WEBHOOK_HEADERS.signature)
  if (!id || !timestampText || !signatures) return { ok: false, reason: 'missing_headers' }
  if (!/^\d{1,15}$/.test(timestampText)) return { ok: false, reason: 'invalid_timestamp' }
  const timestamp = Number(timestampText)
  const nowSec = Math.floor(options.now.getTime() / 1000)
  const toleranceSec = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC
  if (nowSec - timestamp > toleranceSec) return { ok: false, reason: 'timestamp_too_old' }
  if (timestamp - nowSec > toleranceSec) return { ok: false, reason: 'timestamp_too_new' }

  const expected = hmac(secretKey(secret), id, timestamp, body)
  for (const versioned of signatures.split(' ')) {
    const comma = versioned.indexOf(',')
    if (comma < 0 || versioned.slice(0, comma) !== 'v1') continue
    const candidate = Buffer.from(versioned.slice(comma + 1), 'base64')
    // Lengths are public (always 32 bytes for a real signature); only the contents need constant time.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { ok: true, id, timestamp }
  }
  return { ok: false, reason: 'no_matching_signature' }
}

function hmac(key: Buffer, id: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest()
}

function readHeader(headers: HeadersLike, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue
    return Array.isArray(value) ? value.join(' ') : value
  }
  return undefined
}
