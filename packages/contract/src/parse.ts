import type { z } from 'zod'
import {
  accountEventSchema,
  billingEventSchema,
  churnEventSchema,
  EVENT_KINDS,
  usageEventSchema,
  type ChurnEvent,
  type EventKind,
} from './events.js'
import { describeValue } from './fields.js'
import { featuresChangedEventSchema, type FeaturesChangedEvent, type ValidationIssue } from './outputs.js'
import { TOPICS } from './topics.js'

/** Largest accepted message value in bytes (64 KiB); larger payloads are rejected unparsed. */
export const MAX_EVENT_BYTES = 64 * 1024

export type ParseEventResult<E extends ChurnEvent = ChurnEvent> =
  | { ok: true; event: E }
  | { ok: false; issues: ValidationIssue[] }

type EventOfKind<K extends EventKind> = Extract<ChurnEvent, { kind: K }>

const KIND_SCHEMAS = { usage: usageEventSchema, billing: billingEventSchema, account: accountEventSchema } as const

/** The input topic of each event kind. */
export const TOPIC_OF_KIND = { usage: TOPICS.usage, billing: TOPICS.billing, account: TOPICS.accounts } as const satisfies Record<
  EventKind,
  string
>

const TOPIC_KINDS: Readonly<Record<string, EventKind>> = Object.fromEntries(
  EVENT_KINDS.map((kind) => [TOPIC_OF_KIND[kind], kind]),
)

// fatal: invalid UTF-8 is an error rather than silently replaced with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

/**
 * Validates one Kafka message value (UTF-8 JSON) as an input event. Never throws: bad data
 * comes back as issues. With `expectedKind`, an event of the other kind is an issue on `kind`.
 */
export function parseEvent(value: Uint8Array | string | null | undefined): ParseEventResult
export function parseEvent<K extends EventKind>(
  value: Uint8Array | string | null | undefined,
  expectedKind: K,
): ParseEventResult<EventOfKind<K>>
export function parseEvent(
  value: Uint8Array | string | null | undefined,
  expectedKind?: EventKind,
): ParseEventResult {
  const decoded = decodeJson(value)
  if (!decoded.ok) return decoded
  const json = decoded.json
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('', `must be a JSON object, got ${describeValue(json)}`)
  }
  if (expectedKind === undefined) return fromZod(churnEventSchema.safeParse(json))

  // A known kind on the wrong topic gets one clear issue instead of every field mismatch.
  const kind: unknown = (json as Record<string, unknown>).kind
  if (kind !== expectedKind && EVENT_KINDS.some((k) => k === kind)) {
    return fail('kind', `must be "${expectedKind}" on this topic, got "${String(kind)}"`)
  }
  return fromZod<ChurnEvent>(KIND_SCHEMAS[expectedKind].safeParse(json))
}

/** Validates a message read from an input topic; a topic that carries no input events is an issue. */
export function parseEventForTopic(topic: string, value: Uint8Array | string | null | undefined): ParseEventResult {
  const kind = TOPIC_KINDS[topic]
  if (kind === undefined) {
    return fail('', `topic "${topic}" carries no input events; expected one of: ${Object.values(TOPIC_OF_KIND).join(', ')}`)
  }
  return parseEvent(value, kind)
}

/** Maps zod issues to `{ path: 'a.b', message }`, path '' for the whole value. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
}

/** One line for logs and HTTP details: "occurredAt: must be ...; action: must be ...". */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`)).join('; ')
}

type Decoded = { ok: true; json: unknown } | { ok: false; issues: ValidationIssue[] }

function decodeJson(value: Uint8Array | string | null | undefined): Decoded {
  if (value === null || value === undefined || value.length === 0) {
    return fail('', 'empty message: expected a JSON event')
  }
  // Checked before decoding so that a huge payload costs little to reject.
  const size = typeof value === 'string' ? utf8Encoder.encode(value).byteLength : value.byteLength
  if (size > MAX_EVENT_BYTES) {
    return fail('', `message is ${size} bytes; the limit is ${MAX_EVENT_BYTES} bytes (MAX_EVENT_BYTES)`)
  }
  let text: string
  if (typeof value === 'string') {
    text = value
  } else {
    try {
      text = utf8.decode(value)
    } catch (err) {
      return fail('', `invalid UTF-8: ${errorMessage(err)}`)
    }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    return fail('', `invalid JSON: ${errorMessage(err)}`)
  }
  // Only an escape can smuggle in U+0000 or a lone surrogate (raw control characters are invalid
  // JSON, the decoder rejects ill-formed UTF-8), and deep nesting needs many brackets: both checks
  // run only when the text could fail them. Accepted, such an event could never be stored (or even
  // re-serialised) and would stall its partition.
  if (text.includes('\\u') || bracketCount(text) > MAX_NESTING) {
    const issue = unstorable(json, '', 0)
    if (issue !== undefined) return fail(issue.path, issue.message)
  }
  return { ok: true, json }
}

/** Deepest nesting of objects and arrays an event may have (the contract's own shapes need 2). */
export const MAX_NESTING = 32

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
/** The issue message for U+0000, worded as the API words it for every other input. */
export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)'
const LONE_SURROGATE_MESSAGE = 'must not contain an unpaired surrogate (PostgreSQL cannot store it)'

/** Why PostgreSQL could not store this text, or undefined. */
function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_MESSAGE
  return LONE_SURROGATE.test(text) ? LONE_SURROGATE_MESSAGE : undefined
}

function bracketCount(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x7b || c === 0x5b) n++
  }
  return n
}

/** The first string (value or key) that cannot be stored, or the first place nested too deep. */
function unstorable(value: unknown, path: string, depth: number): ValidationIssue | undefined {
  if (typeof value === 'string') {
    const message = unstorableText(value)
    return message === undefined ? undefined : { path, message }
  }
  if (typeof value !== 'object' || value === null) return undefined
  if (depth >= MAX_NESTING) return { path, message: `nests objects and arrays deeper than ${MAX_NESTING} levels` }
  for (const [key, item] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`
    const message = unstorableText(key)
    if (message !== undefined) return { path: at, message }
    const found = unstorable(item, at, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

function fromZod<E extends ChurnEvent>(result: z.ZodSafeParseResult<E>): ParseEventResult<E> {
  return result.success ? { ok: true, event: result.data } : { ok: false, issues: toValidationIssues(result.error) }
}

function fail(path: string, message: string): { ok: false; issues: ValidationIssue[] } {
  return { ok: false, issues: [{ path, message }] }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Validates a churn.features-changed.v1 message value; never throws. */
export function parseFeaturesChanged(
  value: Uint8Array | string | null | undefined,
): { ok: true; event: FeaturesChangedEvent } | { ok: false; issues: ValidationIssue[] } {
  const decoded = decodeJson(value)
  if (!decoded.ok) return decoded
  const result = featuresChangedEventSchema.safeParse(decoded.json)
  return result.success ? { ok: true, event: result.data } : { ok: false, issues: toValidationIssues(result.error) }
}
