import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Queryable } from './pool.js'

/** What a key may do; `admin` implies every other scope. */
export const API_KEY_SCOPES = ['read', 'events:write', 'alerts:write', 'admin'] as const
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number]

/** A stored key without its hash. */
export interface ApiKeyRecord {
  id: string
  name: string
  scopes: ApiKeyScope[]
  createdAt: Date
  lastUsedAt: Date | null
  revokedAt: Date | null
}

export interface NewApiKey {
  name?: string
  scopes: readonly ApiKeyScope[]
  now?: Date
}

/** A created key: `key` is the only copy of the secret and cannot be read back later. */
export interface CreatedApiKey extends ApiKeyRecord {
  key: string
}

const KEY_PATTERN = /^cw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/
const COLUMNS = 'id, name, scopes, created_at, last_used_at, revoked_at'

interface RawApiKey {
  id: string
  name: string
  scopes: ApiKeyScope[]
  created_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
}

function toRecord(r: RawApiKey): ApiKeyRecord {
  return { id: r.id, name: r.name, scopes: r.scopes, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }
}

// A plain SHA-256 is enough: the secret is 256 random bits, so there is nothing to guess and
// nothing for a slow password hash (bcrypt, scrypt) to protect, while every request pays for it.
function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Splits `cw_<id>_<secret>` into its parts; undefined when the text is not shaped like a key. */
export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(key)
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : undefined
}

/** True when `scopes` grant `required` (admin grants everything). */
export function hasScope(scopes: readonly ApiKeyScope[], required: ApiKeyScope): boolean {
  return scopes.includes('admin') || scopes.includes(required)
}

/** Creates a key with a fresh 12-hex id and 256-bit secret; stores only the secret's hash. */
export async function createApiKey(db: Queryable, input: NewApiKey): Promise<CreatedApiKey> {
  const scopes = [...new Set(input.scopes)]
  if (scopes.length === 0) throw new Error('an API key needs at least one scope')
  const id = randomBytes(6).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  const { rows } = await db.query<RawApiKey>(
    `INSERT INTO api_keys (id, name, hash, scopes, created_at) VALUES ($1, $2, $3, $4, coalesce($5, now()))
     RETURNING ${COLUMNS}`,
    [id, input.name ?? '', hashSecret(secret), scopes, input.now ?? null],
  )
  const row = rows[0]
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  return { ...toRecord(row), key: `cw_${id}_${secret}` }
}

/**
 * The unrevoked key that `key` names, when its secret matches (compared in constant time);
 * undefined for a malformed, unknown, revoked or wrong key, without saying which.
 */
export async function verifyApiKey(db: Queryable, key: string): Promise<ApiKeyRecord | undefined> {
  const parts = parseApiKey(key)
  if (!parts) return undefined
  const { rows } = await db.query<RawApiKey & { hash: string }>(
    `SELECT ${COLUMNS}, hash FROM api_keys WHERE id = $1 AND revoked_at IS NULL`,
    [parts.id],
  )
  const row = rows[0]
  if (!row) return undefined
  const expected = Buffer.from(row.hash, 'hex')
  const actual = Buffer.from(hashSecret(parts.secret), 'hex')
  return timingSafeEqual(expected, actual) ? toRecord(row) : undefined
}

/** Records that a key was used (callers throttle this; it is informational). */
export async function touchApiKey(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE api_keys SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1', [id, at])
}

/** Every key, newest first, revoked ones included. */
export async function listApiKeys(db: Queryable): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<RawApiKey>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id`)
  return rows.map(toRecord)
}

/** Revokes a key; false when no unrevoked key has that id. */
export async function revokeApiKey(db: Queryable, id: string, at?: Date): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE api_keys SET revoked_at = coalesce($2, now()) WHERE id = $1 AND revoked_at IS NULL', [
    id,
    at ?? null,
  ])
  return (rowCount ?? 0) > 0
}
