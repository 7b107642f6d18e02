import { createHash } from 'node:crypto'
import { z } from 'zod'
import { badRequest } from './errors.js'

// Cursors are opaque to clients: base64url JSON holding the last row's sort key, plus a fingerprint
// of the query they belong to, so a cursor reused with other filters or another sort is refused
// instead of silently returning a different list.

/** A short digest of the query parameters a cursor is bound to (not the cursor or limit). */
export function queryFingerprint(parts: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.keys(parts).sort().map((k) => [k, parts[k] ?? null]))
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16)
}

/** Encodes a cursor payload. */
export function encodeCursor(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url')
}

/** Decodes and checks a cursor against `schema` and the query fingerprint; 400 problems when it does not fit. */
export function decodeCursor<T extends { q: string }>(cursor: string, schema: z.ZodType<T>, fingerprint: string): T {
  let json: unknown
  try {
    const text = Buffer.from(cursor, 'base64url').toString('utf8')
    // PostgreSQL text cannot hold U+0000; a cursor we wrote never has one.
    if (text.includes('\\u0000')) throw malformedCursor()
    json = JSON.parse(text)
  } catch {
    throw malformedCursor()
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) throw malformedCursor()
  if (parsed.data.q !== fingerprint) {
    throw badRequest('cursor belongs to another query: keep the sort and filters of the first page while paging', [
      { path: 'query.cursor', message: 'does not match the sort and filters of this request' },
    ])
  }
  return parsed.data
}

/** The 400 for a cursor that we did not write (tampered, truncated or from another version). */
export function malformedCursor(): Error {
  return badRequest('cursor is malformed: pass nextCursor from a previous page unchanged', [{ path: 'query.cursor', message: 'is malformed' }])
}

const MAX_XID8 = 2n ** 63n - 1n
const SNAPSHOT = /^\d{1,20}:\d{1,20}:(\d{1,20}(,\d{1,20})*)?$/

/** What PostgreSQL accepts as pg_snapshot: 1 <= xmin <= xmax < 2^63, each xip in [xmin, xmax), ascending. */
function isSnapshotText(s: string): boolean {
  if (!SNAPSHOT.test(s)) return false
  const [xmin, xmax, xip = ''] = s.split(':').map((part, i) => (i < 2 ? BigInt(part) : part)) as [bigint, bigint, string?]
  if (xmin < 1n || xmax < xmin || xmax > MAX_XID8) return false
  let last = xmin
  for (const x of xip === '' ? [] : xip.split(',').map(BigInt)) {
    if (x < last || x >= xmax) return false
    last = x
  }
  return true
}

/** A pg_snapshot text (xmin:xmax:xip,...); checked so that a tampered cursor cannot reach SQL as garbage. */
export const snapshotTextSchema = z.string().max(2048).refine(isSnapshotText)

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}(:\d{2})?)$/

/** An ISO-8601 instant with a zone that PostgreSQL's timestamptz also accepts (a real calendar day, year 1 or later). */
export function isPostgresInstant(s: string): boolean {
  const m = INSTANT.exec(s)
  if (!m) return false
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (year < 1 || month < 1 || month > 12 || day < 1) return false
  const daysInMonth = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
  return day <= daysInMonth && Number.isFinite(Date.parse(s))
}

/** A timestamptz text inside a cursor (as to_json writes it). */
export const cursorInstantSchema = z.string().max(64).refine(isPostgresInstant)
