import { API_KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord, type ApiKeyScope, type Pool } from '@churnwatch/storage'
import { InvalidArgumentError } from 'commander'
import type { Output } from '../output.js'

export type KeyScope = ApiKeyScope

interface KeysDeps {
  db: () => Promise<Pool>
  output: Output
}

/** Commander parser for a repeated/variadic --scope: each value must be a known scope. */
export function collectScope(value: string, previous: ApiKeyScope[] = []): ApiKeyScope[] {
  const scope = API_KEY_SCOPES.find((s) => s === value)
  if (!scope) throw new InvalidArgumentError(`--scope must be one of ${API_KEY_SCOPES.join(', ')}, got "${value}"`)
  return [...previous, scope]
}

/** Creates an API key and prints it once to stdout (only its hash is stored). */
export async function createKey(options: { scopes: ApiKeyScope[]; name?: string }, deps: KeysDeps): Promise<{ id: string; key: string }> {
  const created = await createApiKey(await deps.db(), { scopes: options.scopes, ...(options.name !== undefined ? { name: options.name } : {}) })
  deps.output.data(`${created.key}\n`)
  deps.output.info(
    `created API key ${created.id}${created.name ? ` (${created.name})` : ''} with scopes ${created.scopes.join(', ')}; ` +
      'store it now: it cannot be shown again. Send it as "Authorization: Bearer <key>" or "X-API-Key: <key>".',
  )
  return { id: created.id, key: created.key }
}

/** Prints every key (never a secret) as a table on stdout. */
export async function listKeys(deps: KeysDeps): Promise<ApiKeyRecord[]> {
  const keys = await listApiKeys(await deps.db())
  const iso = (d: Date | null) => d?.toISOString() ?? '-'
  deps.output.data('id\tname\tscopes\tcreatedAt\tlastUsedAt\trevokedAt\n')
  for (const k of keys) deps.output.data(`${k.id}\t${k.name || '-'}\t${k.scopes.join(',')}\t${iso(k.createdAt)}\t${iso(k.lastUsedAt)}\t${iso(k.revokedAt)}\n`)
  return keys
}

/** Revokes a key by id; the API stops accepting it within its auth cache TTL (30 s by default). */
export async function revokeKey(id: string, deps: KeysDeps): Promise<void> {
  if (!(await revokeApiKey(await deps.db(), id))) throw new Error(`no active API key with id "${id}"`)
  deps.output.info(`revoked API key ${id}`)
}
