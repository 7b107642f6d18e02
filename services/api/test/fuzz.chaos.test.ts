// API fuzz (issue #8): requests generated from the app's own /openapi.json with random and hostile
// inputs (fast-check, fixed seeds). For every response: never a 5xx, never a stack trace or a file
// path, errors are application/problem+json whose `status` is the HTTP status, 2xx JSON parses and
// fits the documented schema, and no error-level log line. For every operation that is not public:
// no key, malformed, unknown, mistyped or revoked keys get 401 and a key without the scope 403.
// Mostly through `inject`; a shorter run goes over real HTTP, plus raw malformed requests on a socket.
import { mkdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createApiKey, createEndpoint, enqueueTestWebhook, insertModel, revokeApiKey, withTransaction, writeAlerts } from '@churnwatch/storage'
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertRow as alert, buildTestApi, saveScoreRows, scoreRow, T0, type TestApi } from './harness.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123)
/** Scales every run count (FUZZ_SCALE=10 for a long local hunt). */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1)
const runs = (n: number) => Math.max(1, Math.round(n * SCALE))
/** The fuzzed app runs with a 64 KiB body limit (1 MiB in production) so that bodies near it stay cheap to generate. */
const BODY_LIMIT = 64 * 1024

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
interface JsonSchema {
  type?: string | string[]
  $ref?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  enum?: Json[]
  const?: Json
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  format?: string
  additionalProperties?: boolean | JsonSchema
}
interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: JsonSchema
}
interface Operation {
  method: string
  path: string
  key: string
  params: Parameter[]
  body: JsonSchema | undefined
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>
  secured: boolean
}
interface Spec {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; responses?: Operation['responses']; security?: unknown[] }>>
  components?: { schemas?: Record<string, JsonSchema> }
}

/**
 * The scope each operation needs: the API's access policy, written down independently of the code
 * so that a route whose access changes fails here. A new operation must be added (the test says so).
 */
const ACCESS: Record<string, 'public' | 'read' | 'events:write' | 'alerts:write' | 'admin'> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'POST /v1/session': 'public',
  'GET /v1/session': 'public',
  'DELETE /v1/session': 'public',
  'GET /v1/customers/{id}/risk': 'read',
  'GET /v1/customers/{id}/risk/history': 'read',
  'GET /v1/customers': 'read',
  'POST /v1/scores/batch-get': 'read',
  'GET /v1/alerts': 'read',
  'POST /v1/alerts/{id}/ack': 'alerts:write',
  'POST /v1/alerts/{id}/resolve': 'alerts:write',
  'POST /v1/alerts/{id}/snooze': 'alerts:write',
  'GET /v1/metrics/churn': 'read',
  'GET /v1/metrics/retention': 'read',
  'GET /v1/models': 'read',
  'GET /v1/models/{version}': 'read',
  'POST /v1/models/{version}/activate': 'admin',
  'POST /v1/webhooks': 'admin',
  'GET /v1/webhooks': 'admin',
  'GET /v1/webhooks/{id}': 'admin',
  'DELETE /v1/webhooks/{id}': 'admin',
  'GET /v1/webhooks/{id}/deliveries': 'admin',
  'POST /v1/webhooks/{id}/test': 'admin',
  'POST /v1/webhooks/deliveries/{id}/redeliver': 'admin',
  'POST /v1/events': 'events:write',
  'POST /v1/events/batch': 'events:write',
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const HOSTILE_STRINGS = [
  '',
  ' ',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'a\u0000b',
  '\u0000',
  "' OR 1=1--",
  '"; DROP TABLE customers; --',
  '1; SELECT pg_sleep(0)',
  '$1',
  '%',
  '%zz',
  '%E0%A4%A',
  '\uD800',
  '\uFFFF\uFFFE',
  '😀🔥💥',
  'ｃｕｓｔ',
  'Ω≈ç√∫˜µ≤≥÷',
  '\u202Ecust-1',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '9'.repeat(40),
  'x'.repeat(129),
  'x'.repeat(600),
  'é'.repeat(300),
  '\r\nX-Injected: 1',
  '\t',
  '/',
  '//',
  '?',
  '#',
  '&',
  '=',
  '+',
  ';',
  ',',
]

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 3000 }) },
)

const hostileNumberText = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '0',
  '-0',
  '1.5',
  '1e309',
  '-1e309',
  '1e-400',
  '9007199254740993',
  '99999999999999999999999999',
  '0x10',
  '0b1',
  '1_000',
  ' 1',
  '1 ',
  '',
  'true',
  '[]',
  '{}',
)

/** Anything JSON, including nesting and prototype-ish keys. */
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: fc.constantFrom<Json>({ __proto__: { admin: true } } as unknown as Json, { constructor: { prototype: { x: 1 } } }, []) },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom<Json>(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324, 0, -1) },
)

// ---------------------------------------------------------------------------------------------
// JSON Schema → arbitrary (the subset the zod → OpenAPI transform produces), and a light check

function resolver(spec: Spec) {
  return (schema: JsonSchema): JsonSchema => {
    let current = schema
    for (let i = 0; i < 10 && current.$ref; i++) {
      const name = current.$ref.replace('#/components/schemas/', '')
      current = spec.components?.schemas?.[name] ?? {}
    }
    return current
  }
}

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type
  return schema.type ? [schema.type] : []
}

function fromSchema(resolve: (s: JsonSchema) => JsonSchema, input: JsonSchema, depth = 0): fc.Arbitrary<Json> {
  const schema = resolve(input)
  if (depth > 6) return fc.constant(null)
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives && alternatives.length > 0) return fc.oneof(...alternatives.map((s) => fromSchema(resolve, s, depth + 1)))
  if (schema.allOf && schema.allOf[0]) return fromSchema(resolve, schema.allOf[0], depth + 1)
  const types = typesOf(schema)
  if (types.length > 1) return fc.oneof(...types.map((t) => fromSchema(resolve, { ...schema, type: t }, depth)))
  switch (types[0]) {
    case 'string': {
      if (schema.format === 'date-time') {
        return fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString())
      }
      if (schema.format === 'uri') return fc.constantFrom('https://example.com/hook', 'http://127.0.0.1:9/hook')
      const minLength = schema.minLength ?? 0
      const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 24, 24))
      return fc.string({ minLength, maxLength })
    }
    case 'integer': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1_000_000)
      const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1_000_000)
      return fc.integer({ min: Math.max(min, -Number.MAX_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) })
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(schema.items ? fromSchema(resolve, schema.items, depth + 1) : anyJson, {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)),
      })
    case 'object': {
      const properties = schema.properties ?? {}
      const record = Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, fromSchema(resolve, s, depth + 1)]))
      return fc.record(record, { requiredKeys: (schema.required ?? []).filter((k) => k in properties) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>
  }
}

/** A light structural check of a response against its documented schema; returns the first mismatch. */
function mismatch(resolve: (s: JsonSchema) => JsonSchema, input: JsonSchema, value: unknown, path = '$'): string | undefined {
  const schema = resolve(input)
  if (schema.const !== undefined) return JSON.stringify(schema.const) === JSON.stringify(value) ? undefined : `${path}: expected const`
  if (schema.enum) return schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)) ? undefined : `${path}: not in enum`
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives) return alternatives.some((s) => mismatch(resolve, s, value, path) === undefined) ? undefined : `${path}: fits no alternative`
  const types = typesOf(schema)
  if (types.length === 0) return undefined
  const actual =
    value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value === 'number' ? 'number' : typeof value
  const fits = types.some((t) => t === actual || (t === 'number' && actual === 'integer'))
  if (!fits) return `${path}: expected ${types.join('|')}, got ${actual}`
  if (actual === 'array' && schema.items) {
    for (const [i, item] of (value as unknown[]).entries()) {
      const m = mismatch(resolve, schema.items, item, `${path}[${i}]`)
      if (m) return m
    }
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>
    for (const key of schema.required ?? []) if (!(key in object)) return `${path}.${key}: required but missing`
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (key in object) {
        const m = mismatch(resolve, sub, object[key], `${path}.${key}`)
        if (m) return m
      }
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Requests

interface FuzzRequest {
  method: string
  url: string
  headers: Record<string, string | string[]>
  payload?: string | Buffer
}

const ACCEPTS = [
  'application/json',
  'text/csv',
  'text/csv; charset=utf-8',
  'text/csv;q=0.9, application/json;q=0.8',
  '*/*',
  'application/*',
  'text/*',
  'text/html',
  'application/xml',
  'application/problem+json',
  '',
  ';;;',
  'text/csv;q=abc',
  'image/png, */*;q=0',
]

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'Application/JSON',
  'text/plain',
  'text/csv',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/problem+json',
  'application/json-patch+json',
  'application/octet-stream',
  ';',
  '',
]

function encodeSegment(value: string, raw: boolean): string {
  if (raw) return value
  try {
    return encodeURIComponent(value)
  } catch {
    // Lone surrogates cannot be encoded; send them as they are (the router decides).
    return value
  }
}

function queryString(pairs: Array<[string, string]>, raw: boolean): string {
  if (pairs.length === 0) return ''
  return `?${pairs.map(([k, v]) => `${encodeSegment(k, raw)}=${encodeSegment(v, raw)}`).join('&')}`
}

/** Valid-looking ids per path prefix (`/v1/alerts/`), filled from the seeded data. */
type KnownIds = Record<string, string[]>

function knownFor(known: KnownIds, op: Operation): string[] {
  const prefix = Object.keys(known)
    .filter((p) => `${op.method} ${op.path}`.startsWith(p))
    .sort((a, b) => b.length - a.length)[0]
  return prefix ? (known[prefix] ?? ['x']) : ['x']
}

function pathParamArb(good: string[]): fc.Arbitrary<{ value: string; raw: boolean }> {
  return fc.record({
    value: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...good) },
      { weight: 1, arbitrary: fc.constantFrom('unknown-id', 'msg_0000', '0', '999999999999999', `${good[0] ?? 'x'}x`) },
      { weight: 4, arbitrary: hostileString },
    ),
    raw: fc.boolean(),
  })
}

/** A real nextCursor and the URL of the page it continues (so that a forged copy keeps its fingerprint). */
interface CursorSource {
  method: string
  path: string
  url: string
  cursor: string
}

function queryValueArb(resolve: (s: JsonSchema) => JsonSchema, param: Parameter, cursors: CursorSource[]): fc.Arbitrary<string[]> {
  const schema = param.schema ?? {}
  const valid = fromSchema(resolve, schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
  const single = fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 2, arbitrary: hostileNumberText },
    { weight: 2, arbitrary: hostileString },
    ...(param.name === 'cursor' && cursors.length > 0 ? [{ weight: 2, arbitrary: forgedCursor(cursors.map((c) => c.cursor)) }] : []),
  )
  // Repeated parameters arrive as arrays.
  return fc.oneof({ weight: 5, arbitrary: single.map((v) => [v]) }, { weight: 1, arbitrary: fc.array(single, { minLength: 2, maxLength: 4 }) })
}

/** Cursors as a client could forge them: a real nextCursor decoded, one field changed, re-encoded. */
function forgedCursor(cursors: string[]): fc.Arbitrary<string> {
  return fc
    .record({
      cursor: fc.constantFrom(...cursors),
      field: fc.nat(10),
      value: fc.oneof(anyJson, hostileNumberText, fc.constantFrom<Json>('99999999999999999999:1:', '1:2:3,4', '2026-02-30T00:00:00Z', 'not a date', '-infinity', 'epoch')),
      garble: fc.nat(20),
    })
    .map(({ cursor, field, value, garble }) => {
      if (garble === 0) return `${cursor}x`
      if (garble === 1) return cursor.slice(0, Math.floor(cursor.length / 2))
      const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, Json>
      const keys = Object.keys(payload).filter((k) => k !== 'q')
      const key = keys[field % keys.length]
      if (key !== undefined) payload[key] = value
      return Buffer.from(JSON.stringify(payload)).toString('base64url')
    })
}

interface BodyPart {
  payload?: string | Buffer
  contentType?: string
}

function bodyArb(resolve: (s: JsonSchema) => JsonSchema, schema: JsonSchema | undefined): fc.Arbitrary<BodyPart> {
  const shaped: fc.Arbitrary<Json> = schema ? fromSchema(resolve, schema) : anyJson
  const mutated: fc.Arbitrary<Json> = fc
    .record({ value: shaped, mutation: fc.nat(6), key: fc.nat(20), replacement: anyJson, extra: fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', '') })
    .map(({ value, mutation, key, replacement, extra }) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return mutation % 2 === 0 ? replacement : value
      const keys = Object.keys(value)
      const target = keys[key % Math.max(1, keys.length)]
      const copy: Record<string, Json> = { ...value }
      if (mutation === 0 && target !== undefined) delete copy[target] // a missing (maybe required) field
      else if (mutation === 1 && target !== undefined) copy[target] = replacement // a wrong type
      else if (mutation === 2) Object.defineProperty(copy, extra, { value: replacement, enumerable: true }) // an extra field
      else if (mutation === 3) {
        // An array where one item is broken.
        for (const [k, v] of Object.entries(copy)) if (Array.isArray(v)) copy[k] = [...v, replacement]
      } else if (mutation === 4 && target !== undefined) copy[target] = 'x'.repeat(1000)
      return copy
    })
  const text = fc.oneof(
    { weight: 6, arbitrary: shaped.map((v) => JSON.stringify(v)) },
    { weight: 8, arbitrary: mutated.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"a":', '[1,2', 'null', 'true', '0', '"x"', 'NaN', '{"a":1}{"b":2}', '\uFEFF{}', '{"a":01}', "{'a':1}") },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    // Deep nesting, as an array and as objects.
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 30_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 5_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) },
    // Strings just under and just over the body limit.
    { weight: 1, arbitrary: fc.integer({ min: -64, max: 64 }).map((d) => JSON.stringify({ description: 'x'.repeat(BODY_LIMIT + d - 20) })) },
  )
  return fc.oneof<Array<fc.WeightedArbitrary<BodyPart>>>(
    { weight: 12, arbitrary: text.map((payload) => ({ payload, contentType: 'application/json' })) },
    { weight: 3, arbitrary: fc.record({ payload: text, contentType: fc.constantFrom(...CONTENT_TYPES) }) },
    { weight: 1, arbitrary: fc.constantFrom<BodyPart>({}, { contentType: 'application/json' }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ payload: Buffer.from(bytes), contentType: 'application/json' })) },
  )
}

function requestArb(resolve: (s: JsonSchema) => JsonSchema, op: Operation, known: KnownIds, cursors: CursorSource[], auth: fc.Arbitrary<Record<string, string | string[]>>) {
  const pathParams = op.params.filter((p) => p.in === 'path')
  const queryParams = op.params.filter((p) => p.in === 'query')
  // The page URL a forged cursor belongs to, so that it passes the fingerprint and reaches the query.
  const sources = cursors.filter((c) => c.method === op.method && c.path === op.path)
  const forged: fc.Arbitrary<string | null> =
    sources.length === 0
      ? fc.constant(null)
      : fc.oneof(
          { weight: 2, arbitrary: fc.constant(null) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(...sources).chain((source) => forgedCursor([source.cursor]).map((cursor) => `${source.url}&cursor=${encodeURIComponent(cursor)}`)),
          },
        )
  return fc
    .record({
      forged,
      path: fc.tuple(...pathParams.map(() => pathParamArb(knownFor(known, op)))),
      query: fc.tuple(...queryParams.map((p) => fc.option(queryValueArb(resolve, p, cursors), { freq: 2 }))),
      extraQuery: fc.array(fc.tuple(fc.oneof(hostileString, fc.constantFrom('a[b]', 'limit[]', '__proto__', 'constructor[prototype][x]')), hostileString), { maxLength: 2 }),
      rawQuery: fc.nat(8),
      body: op.method === 'GET' || op.method === 'DELETE' ? fc.constant<BodyPart>({}) : bodyArb(resolve, op.body),
      accept: fc.option(fc.constantFrom(...ACCEPTS), { freq: 2 }),
      auth,
      extraHeaders: fc.option(
        fc.record(
          {
            'x-request-id': fc.oneof(hostileString.filter((s) => /^[\t\x20-\x7e]*$/.test(s)), fc.constant('x'.repeat(2000))),
            'x-forwarded-for': fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1', ''),
            'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*'),
          },
          { requiredKeys: [] },
        ),
      ),
    })
    .map(({ forged, path, query, extraQuery, rawQuery, body, accept, auth, extraHeaders }): FuzzRequest => {
      let url = op.path
      pathParams.forEach((p, i) => {
        const v = path[i] ?? { value: 'x', raw: false }
        url = url.replace(`{${p.name}}`, encodeSegment(v.value, v.raw))
      })
      const pairs: Array<[string, string]> = []
      queryParams.forEach((p, i) => {
        for (const v of query[i] ?? []) pairs.push([p.name, v])
      })
      pairs.push(...extraQuery)
      const headers: Record<string, string | string[]> = { ...auth, ...(extraHeaders ?? {}) }
      if (accept !== null) headers.accept = accept
      if (body.contentType !== undefined) headers['content-type'] = body.contentType
      return { method: op.method, url: forged ?? url + queryString(pairs, rawQuery === 0), headers, ...(body.payload !== undefined ? { payload: body.payload } : {}) }
    })
}

/** Whether a generated URL still names the operation's route (no raw separators or dot segments in an id). */
function matchesRoute(op: Operation, url: string): boolean {
  // URL parsing turns a backslash into a slash (WHATWG, http scheme).
  const path = (url.split(/[?#]/)[0] ?? '').replaceAll('\\', '/')
  const pattern = new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '(?!\\.\\.?(?:/|$))[^/]+').replace(/\//g, '\\/')}$`)
  return pattern.test(path)
}

// ---------------------------------------------------------------------------------------------
// Checks

const STACK_TRACE = [/\n\s+at\s/, /\bat [\w.<>]+ \(/, /\.(?:[cm]?js|ts):\d+/, /node_modules/, /file:\/\//, /\/work\//, /\/home\//]

interface Answer {
  status: number
  contentType: string
  body: string
}

/** Every check that holds for any response; returns what went wrong, or undefined. */
function violation(resolve: (s: JsonSchema) => JsonSchema, op: Operation | undefined, answer: Answer): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}`
  for (const pattern of STACK_TRACE) if (pattern.test(answer.body)) return `body leaks ${pattern}`
  if (answer.status >= 400) {
    if (!answer.contentType.startsWith('application/problem+json')) return `error ${answer.status} as ${answer.contentType || 'no content-type'}`
    let problem: { status?: unknown; code?: unknown; type?: unknown; title?: unknown }
    try {
      problem = JSON.parse(answer.body) as typeof problem
    } catch {
      return 'problem body is not JSON'
    }
    if (problem.status !== answer.status) return `problem status ${String(problem.status)} != HTTP ${answer.status}`
    if (typeof problem.code !== 'string' || !problem.code.startsWith('CW_API_') || typeof problem.type !== 'string' || typeof problem.title !== 'string') {
      return 'problem lacks code/type/title'
    }
    return undefined
  }
  if (answer.status >= 200 && answer.status < 300 && answer.contentType.startsWith('application/json')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(answer.body)
    } catch {
      return '2xx JSON body does not parse'
    }
    const schema = op?.responses[String(answer.status)]?.content?.['application/json']?.schema
    if (op && !op.responses[String(answer.status)]) return `undocumented status ${answer.status}`
    const m = schema ? mismatch(resolve, schema, parsed) : undefined
    if (m) return `2xx body does not fit its schema: ${m}`
  }
  return undefined
}

/** fc.check with a fixed seed; on failure writes the counterexample to .vitest/ and fails with fast-check's report. */
async function assertProperty<T>(name: string, property: fc.IAsyncPropertyWithHooks<T>, numRuns: number, seed: number): Promise<void> {
  const details = await fc.check(property, { seed, numRuns, endOnFailure: false })
  if (!details.failed) return
  const dir = join(import.meta.dirname, '..', '.vitest')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `fuzz-counterexample-${name.replace(/[^\w-]+/g, '_')}.json`)
  writeFileSync(
    file,
    JSON.stringify({ property: name, seed: details.seed, path: details.counterexamplePath, counterexample: details.counterexample, error: String(details.errorInstance) }, null, 2),
  )
  throw new Error(`${fc.defaultReportMessage(details) ?? name}\ncounterexample written to ${file}`)
}

function seedOf(key: string): number {
  let h = SEED
  for (const c of key) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0
  return h
}

// ---------------------------------------------------------------------------------------------


describe('API fuzz from /openapi.json', () => {
  let api: TestApi
  let spec: Spec
  let resolve: (s: JsonSchema) => JsonSchema
  let ops: Operation[]
  const known: KnownIds = {}
  const cursors: CursorSource[] = []
  const badKeys: Array<[string, Record<string, string | string[]>]> = []

  beforeAll(async () => {
    api = await buildTestApi('fuzz', { rateLimitPerMinute: 1_000_000_000, bodyLimitBytes: BODY_LIMIT, eventsBatchBodyLimitBytes: 4 * BODY_LIMIT })
    // Seeded data so that routes have something to return (and to page through).
    const customers = Array.from({ length: 30 }, (_, i) => `cust-${i}`)
    await saveScoreRows(
      api,
      customers.map((id, i) => scoreRow(id, (i % 10) / 10 + 0.05, 1_000 + i * 100)),
    )
    await saveScoreRows(api, [scoreRow('cust-0', 0.9, 1_000, { scoredAt: '2026-03-02T00:00:00.000Z', asOf: '2026-03-02T00:00:00.000Z' })])
    await saveScoreRows(api, [scoreRow('cust-0', 0.2, 1_000, { scoredAt: '2026-03-03T00:00:00.000Z', asOf: '2026-03-03T00:00:00.000Z' })])
    const alerts = Array.from({ length: 12 }, (_, i) =>
      alert(`al-${i}`, `2026-03-0${(i % 5) + 1}T00:00:00.000Z`, i % 4 === 3 ? { status: 'resolved', resolvedAt: '2026-03-06T00:00:00.000Z', resolution: 'done' } : {}),
    )
    await withTransaction(api.db.pool, (tx) => writeAlerts(tx, alerts))
    const base = { kind: 'gbdt', trainedAsOf: '2026-02-01T00:00:00Z', training: { horizonDays: 90 }, artifact: new Uint8Array([1, 2, 3, 4]) }
    const calibration = [{ lower: 0, upper: 1, count: 100, meanPredicted: 0.2, observedRate: 0.21 }]
    for (const version of ['gbdt-a', 'gbdt-b']) {
      await insertModel(api.db.pool, { ...base, version, featureNames: ['tenure_days'], metrics: { holdout: { rocAuc: 0.8, prAuc: 0.4, brier: 0.1, topDecileLift: 3, calibration } } })
    }
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
    for (const id of ['ep-1', 'ep-2', 'ep-3']) await createEndpoint(api.db.pool, { id, url: 'http://127.0.0.1:9/hook', secret, eventKinds: ['*'] })
    const messageId = await enqueueTestWebhook(api.db.pool, { endpointId: 'ep-1', payload: { hello: 'world' }, now: new Date(T0) })

    const openapi = await api.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(openapi.statusCode).toBe(200)
    spec = openapi.json<Spec>()
    resolve = resolver(spec)
    ops = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, o]) => {
        const key = `${method.toUpperCase()} ${path}`
        const body = o.requestBody?.content?.['application/json']?.schema
        return { method: method.toUpperCase(), path, key, params: o.parameters ?? [], body, responses: o.responses ?? {}, secured: (o.security ?? []).length > 0 }
      }),
    )

    Object.assign(known, {
      'GET /v1/customers/': customers,
      'POST /v1/alerts/': ['al-0', 'al-1', 'al-3', 'al-5'],
      'GET /v1/models/': ['gbdt-a', 'gbdt-b'],
      'POST /v1/models/': ['gbdt-a', 'gbdt-b'],
      'GET /v1/webhooks/': ['ep-1', 'ep-2'],
      'POST /v1/webhooks/': ['ep-1', 'ep-2'],
      // Deletes only touch an endpoint of their own, so the others keep data for the later operations.
      'DELETE /v1/webhooks/': ['ep-3'],
      'POST /v1/webhooks/deliveries/': [messageId ?? 'msg_x', '1'],
    })
    // Real cursors to forge from: the first page of each paged list.
    for (const [path, url] of [
      ['/v1/customers', '/v1/customers?limit=2'],
      ['/v1/customers', '/v1/customers?limit=2&sort=probability'],
      ['/v1/alerts', '/v1/alerts?limit=2'],
      ['/v1/customers/{id}/risk/history', '/v1/customers/cust-0/risk/history?limit=1'],
    ] as const) {
      const page = await api.call('read', { method: 'GET', url })
      const next = page.json<{ nextCursor?: string | null }>().nextCursor
      if (typeof next === 'string') cursors.push({ method: 'GET', path, url, cursor: next })
    }
    expect(cursors.length).toBe(4)

    // Keys that must never get in.
    const revoked = await createApiKey(api.db.pool, { name: 'revoked', scopes: ['admin'] })
    await revokeApiKey(api.db.pool, revoked.id)
    const readId = api.keys.read.split('_')[1] ?? ''
    const adminId = api.keys.admin.split('_')[1] ?? ''
    badKeys.push(
      ['no key', {}],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['bearer without a key', { authorization: 'Bearer' }],
      ['basic scheme', { authorization: `Basic ${Buffer.from(`admin:${api.keys.admin}`).toString('base64')}` }],
      ['key without a scheme', { authorization: api.keys.admin }],
      ['two keys in one header', { authorization: `Bearer ${api.keys.admin} ${api.keys.admin}` }],
      ['malformed key', { authorization: 'Bearer cw_' }],
      ['sql-ish key', { authorization: "Bearer cw_' OR 1=1--_x" }],
      ['unknown key', { authorization: `Bearer cw_0123456789ab_${'A'.repeat(43)}` }],
      ['admin id, wrong secret', { authorization: `Bearer cw_${adminId}_${'B'.repeat(43)}` }],
      ['admin id, no secret', { authorization: `Bearer cw_${adminId}_` }],
      ['admin key truncated', { authorization: `Bearer ${api.keys.admin.slice(0, -1)}` }],
      ['admin key with a suffix', { authorization: `Bearer ${api.keys.admin}x` }],
      ['admin key upper-cased', { authorization: `Bearer ${api.keys.admin.toUpperCase()}` }],
      ['revoked admin key', { authorization: `Bearer ${revoked.key}` }],
      ['revoked admin key as x-api-key', { 'x-api-key': revoked.key }],
      ['empty x-api-key', { 'x-api-key': '' }],
      ['unknown x-api-key', { 'x-api-key': `cw_${readId}_nope` }],
      ['huge key', { authorization: `Bearer cw_${'a'.repeat(12)}_${'z'.repeat(8000)}` }],
      ['unicode key', { 'x-api-key': 'cw_ü_😀' }],
    )
  })
  afterAll(() => api?.close())

  it('knows the access policy of every operation in the document, and the document marks exactly the secured ones', () => {
    const keys = ops.map((o) => o.key).sort()
    expect(keys).toEqual(Object.keys(ACCESS).sort())
    for (const op of ops) expect({ op: op.key, secured: op.secured }).toEqual({ op: op.key, secured: ACCESS[op.key] !== 'public' })
  })

  it('answers generated and hostile requests to every operation without a 5xx, a stack trace or a non-problem error (inject)', async () => {
    const errorLogsBefore = api.logs.filter((l) => Number(l.level) >= 50).length
    const statuses = new Map<string, Map<number, number>>()
    for (const op of ops) {
      const seen = new Map<number, number>()
      statuses.set(op.key, seen)
      // Mostly the admin key (so requests reach validation and handlers), sometimes the right scope or none.
      const auth = fc.constantFrom<Record<string, string | string[]>>(
        { authorization: `Bearer ${api.keys.admin}` },
        { authorization: `Bearer ${api.keys.admin}` },
        { 'x-api-key': api.keys.admin },
        { authorization: `Bearer ${api.keys[ACCESS[op.key] === 'public' || ACCESS[op.key] === undefined ? 'read' : (ACCESS[op.key] as 'read')]}` },
        {},
      )
      const property = fc.asyncProperty(requestArb(resolve, op, known, cursors, auth), async (request) => {
        const response = await api.app.inject(request as InjectOptions)
        seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1)
        const answer = { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: response.body }
        const problem = violation(resolve, op, answer)
        if (problem) throw new Error(`${op.key}: ${problem}\n${answer.body.slice(0, 500)}`)
        const errorLogs = api.logs.filter((l) => Number(l.level) >= 50)
        if (errorLogs.length > errorLogsBefore) throw new Error(`${op.key}: error logged: ${JSON.stringify(errorLogs.at(-1)).slice(0, 800)}`)
      })
      await assertProperty(`inject ${op.key}`, property, runs(op.method === 'GET' ? 400 : 500), seedOf(op.key))
    }
    // The runs reached the handlers, not only the validators: every operation answered 2xx and 4xx at least once.
    // Except where the generator cannot reach one side: signing in needs a real key and reading the
    // session a real cookie (never generated: no 2xx), and signing out without a session always
    // succeeds (no 4xx). session.int.test.ts covers their other side. A snooze needs an open alert
    // and an instant within the next 366 days, which generated text almost never is: its 2xx side
    // is worklist.int.test.ts's.
    const reachable: Record<string, { ok: boolean; rejected: boolean }> = {
      'POST /v1/alerts/{id}/snooze': { ok: false, rejected: true },
      'POST /v1/session': { ok: false, rejected: true },
      'GET /v1/session': { ok: false, rejected: true },
      'DELETE /v1/session': { ok: true, rejected: false },
    }
    for (const [key, seen] of statuses) {
      const codes = [...seen.keys()]
      const expected = reachable[key] ?? { ok: true, rejected: true }
      expect({ key, ok: codes.some((c) => c < 300) || !expected.ok, rejected: codes.some((c) => c >= 400) || !expected.rejected }).toEqual({ key, ok: true, rejected: true })
    }
  })

  it('never lets a request through without a valid key of the right scope', async () => {
    for (const op of ops.filter((o) => ACCESS[o.key] !== 'public')) {
      const scope = ACCESS[op.key]
      const lacking = (['read', 'events:write', 'alerts:write'] as const).filter((s) => s !== scope)
      const keyArb = fc.oneof(
        fc.constantFrom(...badKeys).map(([name, headers]) => ({ name, headers, expected: 401 })),
        fc.constantFrom(...lacking).map((s) => ({ name: `${s} key`, headers: { authorization: `Bearer ${api.keys[s]}` }, expected: 403 })),
        fc.constantFrom(...lacking).map((s) => ({ name: `${s} x-api-key`, headers: { 'x-api-key': api.keys[s] }, expected: 403 })),
        // A wrong key in Authorization does not fall back to a good X-API-Key, and vice versa scopes do not add up.
        fc.constantFrom(...lacking).map((s) => ({ name: `${s} bearer + bad x-api-key`, headers: { authorization: `Bearer ${api.keys[s]}`, 'x-api-key': 'cw_nope' }, expected: 403 })),
      )
      const property = fc.asyncProperty(
        keyArb.chain((key) => requestArb(resolve, op, known, cursors, fc.constant(key.headers)).map((request) => ({ key, request }))),
        async ({ key, request }) => {
          const response = await api.app.inject(request as InjectOptions)
          const answer = { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: response.body }
          if (answer.status < 300) throw new Error(`${op.key} with ${key.name}: ${answer.status} (auth bypassed)`)
          const problem = violation(resolve, op, answer)
          if (problem) throw new Error(`${op.key} with ${key.name}: ${problem}`)
          // A path that no longer matches the route (a raw "/", "?" or "#" in an id) is answered without auth: a 404,
          // or a 4xx about the body the 404 route still parses. Otherwise auth decides.
          if (!matchesRoute(op, request.url) || (answer.status === 404 && response.json<{ detail: string }>().detail.startsWith('no route'))) return
          // So is a URL the router cannot decode or a parameter over its length limit (no route, no auth needed).
          if (answer.status === 400 && response.json<{ code: string }>().code === 'CW_API_BAD_REQUEST') return
          if (answer.status !== key.expected) throw new Error(`${op.key} with ${key.name}: ${answer.status}, expected ${key.expected}`)
          if (key.expected === 401 && !String(response.headers['www-authenticate'] ?? '').startsWith('Bearer')) throw new Error(`${op.key}: 401 without WWW-Authenticate`)
        },
      )
      await assertProperty(`auth ${op.key}`, property, runs(300), seedOf(`auth ${op.key}`))
    }
  })

  describe('over real HTTP', () => {
    let base: string
    let port: number
    beforeAll(async () => {
      await api.app.listen({ port: 0, host: '127.0.0.1' })
      port = (api.app.server.address() as AddressInfo).port
      base = `http://127.0.0.1:${port}`
    })

    it('answers generated requests the same way through fetch', async () => {
      for (const op of ops) {
        const auth = fc.constantFrom<Record<string, string | string[]>>({ authorization: `Bearer ${api.keys.admin}` }, {}, { authorization: 'Bearer cw_nope' })
        const property = fc.asyncProperty(requestArb(resolve, op, known, cursors, auth), async (request) => {
          let url: URL
          try {
            url = new URL(request.url, base)
          } catch {
            return // not expressible as a URL for fetch; the raw socket test covers such request lines
          }
          const headers = Object.entries(request.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]]))
          let response: Response
          try {
            response = await fetch(url, {
              method: request.method,
              headers,
              ...(request.payload !== undefined ? { body: request.payload } : {}),
            })
          } catch (err) {
            // fetch refuses some header values before sending; nothing reached the server.
            if (err instanceof TypeError && !/fetch failed/.test(err.message)) return
            throw err
          }
          const answer = { status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.text() }
          const problem = violation(resolve, op, answer)
          if (problem) throw new Error(`${op.key} over HTTP: ${problem}\n${answer.body.slice(0, 500)}`)
        })
        await assertProperty(`http ${op.key}`, property, runs(80), seedOf(`http ${op.key}`))
      }
    })

    /** Sends raw bytes and reads one whole answer (or whatever came before the server closed). */
    function raw(bytes: string): Promise<string> {
      return new Promise((resolvePromise, reject) => {
        const socket = connect(port, '127.0.0.1')
        let text = ''
        socket.setTimeout(5_000, () => socket.destroy(new Error(`no complete answer within 5 s: ${JSON.stringify(text)}`)))
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1')
          const end = text.indexOf('\r\n\r\n')
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(text)
          if (end >= 0 && length && text.length >= end + 4 + Number(length[1])) socket.end()
        })
        socket.on('close', () => resolvePromise(text))
        socket.on('error', reject)
        // Not half-closed: the server answers a complete request on an open connection.
        socket.write(bytes)
      })
    }

    function parseRaw(text: string): Answer {
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
      const contentType = /\r\ncontent-type:\s*([^\r\n]*)/i.exec(head)?.[1] ?? ''
      let body = rest.join('\r\n\r\n')
      if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = body.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, '')
      return { status, contentType, body }
    }

    it.each([
      ['a header without a colon', (key: string) => `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nBroken header\r\n\r\n`],
      ['a control character in a header value', (key: string) => `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nX-A: a\u0001b\r\n\r\n`],
      ['two different Content-Lengths', (key: string) => `POST /v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}`],
      ['Content-Length and chunked together', (key: string) => `POST /v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
      ['a broken chunked body', (key: string) => `POST /v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
      ['a 20 KiB header', (key: string) => `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
      ['a malformed request line', () => `GET /v1/models HTTP/9.9 extra\r\nHost: x\r\n\r\n`],
      ['a space in the path', (key: string) => `GET /v1/customers/a b/risk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`],
      ['a bad percent-encoding in the path', (key: string) => `GET /v1/customers/%E0%A4%A/risk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`],
      ['a NUL in the path', (key: string) => `GET /v1/customers/a%00b/risk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`],
      ['raw UTF-8 in the path', (key: string) => `GET /v1/customers/\u00e9\u00e9/risk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`],
      ['an absolute-form target', (key: string) => `GET http://evil.example/v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`],
      ['an unknown method', (key: string) => `BREW /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`],
      ['no key and a dot-dot path to an admin route', () => `GET /v1/models/../webhooks HTTP/1.1\r\nHost: x\r\n\r\n`],
    ])('answers %s without a 5xx or a stack trace, as problem+json when the app answers', async (_name, request) => {
      const text = await raw(request(api.keys.admin))
      const answer = parseRaw(text)
      expect(answer.status, text.slice(0, 300)).toBeGreaterThanOrEqual(200)
      expect(answer.status, answer.body).toBeLessThan(500)
      // A request that presents no key never succeeds, whatever its shape.
      if (!request('KEY').includes('KEY')) expect(answer.status).toBeGreaterThanOrEqual(400)
      expect(violation(resolve, undefined, answer)).toBeUndefined()
    })
  })
})
