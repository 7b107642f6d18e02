import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { cursorInstantSchema, decodeCursor, encodeCursor, isPostgresInstant, queryFingerprint, snapshotTextSchema } from './cursor.js'
import { ApiError } from './errors.js'

const schema = z.object({ q: z.string(), k: z.number() })

describe('cursors', () => {
  it('round-trips a payload bound to its query', () => {
    const q = queryFingerprint({ sort: 'probability', band: 'high' })
    expect(decodeCursor(encodeCursor({ q, k: 0.5 }), schema, q)).toEqual({ q, k: 0.5 })
  })

  it('fingerprints parameters whatever their order, and absent the same as undefined', () => {
    expect(queryFingerprint({ a: 1, b: undefined })).toBe(queryFingerprint({ b: undefined, a: 1 }))
    expect(queryFingerprint({ a: 1 })).not.toBe(queryFingerprint({ a: 2 }))
  })

  it.each([
    ['not base64 json', 'bm90IGpzb24', 'is malformed'],
    ['the wrong shape', encodeCursor({ q: 'x', k: 'high' }), 'is malformed'],
    ['another query', encodeCursor({ q: 'other', k: 1 }), 'does not match the sort and filters of this request'],
  ])('refuses %s with a 400 on query.cursor', (_what, cursor, message) => {
    const attempt = () => decodeCursor(cursor, schema, queryFingerprint({ sort: 'x' }))
    expect(attempt).toThrow(ApiError)
    try {
      attempt()
    } catch (err) {
      expect(err).toMatchObject({ status: 400, extra: { errors: [{ path: 'query.cursor', message }] } })
    }
  })

  it('refuses a cursor holding U+0000, which PostgreSQL text cannot store', () => {
    const q = queryFingerprint({ sort: 'x' })
    expect(() => decodeCursor(encodeCursor({ q, k: 1, id: 'a\u0000b' }), schema, q)).toThrow('cursor is malformed')
  })

  it.each([
    ['1:1:', true],
    ['3:5:3,4', true],
    ['3:5:3,3', true],
    ['9223372036854775807:9223372036854775807:', true],
    ['0:0:', false],
    ['5:1:', false],
    ['1:5:5', false],
    ['1:5:0', false],
    ['1:5:4,3', false],
    ['9223372036854775808:9223372036854775808:', false],
    ['99999999999999999999:1:', false],
    ['1:2', false],
    ['a:b:', false],
  ])('accepts as pg_snapshot text only what PostgreSQL accepts: %s -> %s', (text, ok) => {
    expect(snapshotTextSchema.safeParse(text).success).toBe(ok)
  })

  it.each([
    ['2026-03-01T00:00:00+00:00', true],
    ['2026-03-01T00:00:00.123456+05:30', true],
    ['2024-02-29T00:00:00Z', true],
    ['2026-02-29T00:00:00Z', false],
    ['2026-02-30T00:00:00Z', false],
    ['0000-01-01T00:00:00Z', false],
    ['2026-13-01T00:00:00Z', false],
    ['2026-03-01T00:00:00', false],
    ['not a date', false],
    ['', false],
  ])('accepts as a cursor instant only a real zoned timestamp: %s -> %s', (text, ok) => {
    expect(isPostgresInstant(text)).toBe(ok)
    expect(cursorInstantSchema.safeParse(text).success).toBe(ok)
  })
})
