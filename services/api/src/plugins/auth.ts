import { hash } from 'node:crypto'
import { hasScope, parseApiKey, touchApiKey, verifyApiKey, type ApiKeyRecord, type ApiKeyScope, type Pool } from '@churnwatch/storage'
import type { Logger } from '@churnwatch/observability'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError } from '../errors.js'

/** What a route requires: a scope, or nothing at all ('public'). Routes without it require admin. */
export type RouteAccess = ApiKeyScope | 'public'

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess
  }
  interface FastifyRequest {
    /** The verified key of this request; null on public routes. */
    apiKey: ApiKeyRecord | null
  }
}

export interface AuthOptions {
  pool: Pool
  log: Logger
  now: () => Date
  /** How long a verified key is trusted without asking the database again. */
  cacheTtlMs: number
}

const TOUCH_INTERVAL_MS = 60_000
const MAX_CACHED_KEYS = 10_000

/** The key a request presents: `Authorization: Bearer <key>`, `X-API-Key: <key>`, or a console session's (plugins/session.ts). */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match?.[1]) return match[1]
  }
  const header = request.headers['x-api-key']
  return typeof header === 'string' && header !== '' ? header : request.sessionKey
}

/** The public id part of the presented key, for rate limiting by key; undefined when malformed. */
export function presentedKeyId(request: FastifyRequest): string | undefined {
  const key = presentedKey(request)
  return key === undefined ? undefined : parseApiKey(key)?.id
}

/**
 * API key authentication and scopes. Every route needs the `admin` scope unless its config says
 * otherwise (deny by default); `admin` implies every scope. Verified keys are cached for
 * `cacheTtlMs` (keyed by a hash of the whole key), so the hot path costs one SHA-256.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: AuthOptions) => {
    const cache = new Map<string, { record: ApiKeyRecord; expiresAt: number }>()
    const touched = new Map<string, number>()

    /** The cached record of a verified key, or undefined when it has to be looked up. */
    function cached(cacheKey: string): ApiKeyRecord | undefined {
      const hit = cache.get(cacheKey)
      return hit && hit.expiresAt > Date.now() ? hit.record : undefined
    }

    async function lookUp(key: string, cacheKey: string): Promise<ApiKeyRecord | undefined> {
      const record = await verifyApiKey(options.pool, key)
      if (cache.size >= MAX_CACHED_KEYS) cache.clear()
      if (record) cache.set(cacheKey, { record, expiresAt: Date.now() + options.cacheTtlMs })
      else cache.delete(cacheKey)
      return record
    }

    function touch(id: string): void {
      const now = Date.now()
      if (now - (touched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return
      touched.set(id, now)
      touchApiKey(options.pool, id, options.now()).catch((err: unknown) => options.log.warn({ err, keyId: id }, 'recording api key use failed'))
    }

    app.decorateRequest('apiKey', null)
    app.addHook('onRequest', (request, _reply, done) => {
      if (request.is404) return done()
      const access = request.routeOptions.config.access ?? 'admin'
      if (access === 'public') return done()
      const key = presentedKey(request)
      const challenge = { headers: { 'www-authenticate': 'Bearer realm="churnwatch"' } }
      if (key === undefined) {
        return done(new ApiError('unauthorized', 'an API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"', challenge))
      }
      const admit = (record: ApiKeyRecord | undefined): ApiError | undefined => {
        if (!record) return new ApiError('unauthorized', 'the API key is not valid (unknown, revoked or mistyped)', challenge)
        if (!hasScope(record.scopes, access)) {
          return new ApiError('forbidden', `this operation needs the "${access}" scope; the key has: ${record.scopes.join(', ')}`)
        }
        request.apiKey = record
        touch(record.id)
        return undefined
      }
      // Cached under a digest, so the process keeps no plain key in a long-lived structure.
      const cacheKey = hash('sha256', key, 'base64')
      const hit = cached(cacheKey)
      // A cached key is admitted synchronously; only a miss waits for the database.
      if (hit) return done(admit(hit))
      lookUp(key, cacheKey).then(
        (record) => done(admit(record)),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      )
    })
  },
  { name: 'churnwatch-auth' },
)
