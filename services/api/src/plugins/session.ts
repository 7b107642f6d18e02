import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import cookie from '@fastify/cookie'
import { hasScope, verifyApiKey, type Pool } from '@churnwatch/storage'
import type { Logger } from '@churnwatch/observability'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ApiError } from '../errors.js'
import { problemResponses } from '../schemas.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key carried by a valid console session cookie; undefined without one. */
    sessionKey: string | undefined
  }
}

export const SESSION_COOKIE = 'cw_session'
export const CSRF_HEADER = 'x-csrf-token'
/** The cookie is only sent to the API, never with the console's static files. */
const COOKIE_PATH = '/v1'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface SessionOptions {
  pool: Pool
  now: () => Date
  sealer: SessionSealer
  ttlMs: number
}

export type SessionSealer = ReturnType<typeof createSealer>

/** The configured secret (at least 32 characters), or a random one for this process only, with a warning. */
export function sessionSecret(configured: string | undefined, log: Logger): string {
  if (configured !== undefined) return configured
  log.warn('SESSION_SECRET is not set: console sessions use a random secret of this process and end when it stops')
  return randomBytes(32).toString('base64url')
}

/** What the sealed cookie holds: the key, the absolute expiry (ms since epoch) and the CSRF token. */
interface SessionPayload {
  k: string
  e: number
  c: string
}

const payloadSchema = z.object({ k: z.string().min(1).max(256), e: z.number().int(), c: z.string().min(16).max(128) })

/**
 * AES-256-GCM under a key derived from the secret: the cookie is authenticated (any change fails to
 * open, so it is signed) and opaque (the API key inside cannot be read from the cookie).
 */
export function createSealer(secret: string) {
  const key = createHash('sha256').update('churnwatch-console-session-v1\0').update(secret).digest()
  return {
    seal(payload: SessionPayload): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()])
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
    },
    /** The payload, or undefined when the value was not sealed with this secret or was altered. */
    open(value: string): SessionPayload | undefined {
      const raw = Buffer.from(value, 'base64url')
      if (raw.length < 12 + 16 + 2) return undefined
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
        decipher.setAuthTag(raw.subarray(raw.length - 16))
        const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8')
        const parsed = payloadSchema.safeParse(JSON.parse(text))
        return parsed.success ? parsed.data : undefined
      } catch {
        return undefined
      }
    },
  }
}

/** True when both tokens are present and equal (constant time). */
export function sameToken(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(presented)
  return a.length === b.length && timingSafeEqual(a, b)
}

const sessionSchema = z
  .object({
    keyId: z.string().describe('The public id of the key the session holds'),
    name: z.string().describe('The key’s name'),
    scopes: z.array(z.string()).describe('What the session may do (admin implies every scope)'),
    expiresAt: z.string().describe('When the session ends; sign in again after it'),
    csrfToken: z.string().describe('Send as X-CSRF-Token with every POST, PUT, PATCH or DELETE made with the session cookie'),
  })
  .describe('A console session')

/**
 * Console sessions (routes in sessionRoutes): POST /v1/session exchanges an API key for an HttpOnly, SameSite=Strict cookie
 * that seals the key, its expiry and a CSRF token (AES-256-GCM, so signed and opaque). On every
 * request without an explicit key header, a valid cookie supplies the key the auth plugin checks
 * (scopes and revocation exactly as for the key itself); writes must then carry the session's CSRF
 * token in X-CSRF-Token, or they are a 403. Register before the rate limiter and the auth plugin.
 */
export const sessionPlugin = fp(
  async (app, options: SessionOptions) => {
    const { sealer } = options
    await app.register(cookie)

    app.decorateRequest('sessionKey', undefined)
    app.addHook('onRequest', (request, _reply, done) => {
      const value = request.cookies[SESSION_COOKIE]
      // An explicit key wins: a cross-site page cannot send one, so it needs no CSRF token.
      if (value === undefined || request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined) return done()
      const payload = sealer.open(value)
      if (!payload || payload.e <= options.now().getTime()) return done()
      if (!SAFE_METHODS.has(request.method) && !isSessionExchange(request)) {
        const presented = request.headers[CSRF_HEADER]
        if (!sameToken(payload.c, typeof presented === 'string' ? presented : undefined)) {
          return done(new ApiError('forbidden', `a write made with the session cookie needs the session's CSRF token in the ${CSRF_HEADER} header`))
        }
      }
      request.sessionKey = payload.k
      done()
    })
  },
  { name: 'churnwatch-session' },
)

/** POST, GET and DELETE /v1/session; registered after the OpenAPI plugin so that they are documented. */
export const sessionRoutes: FastifyPluginAsyncZod<SessionOptions> = async (scope, options) => {
  const { sealer } = options
  const describe = async (key: string, expiresAt: number, csrfToken: string) => {
    const record = await verifyApiKey(options.pool, key)
    if (!record) return undefined
    return { keyId: record.id, name: record.name, scopes: record.scopes, expiresAt: new Date(expiresAt).toISOString(), csrfToken }
  }
  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number) =>
    reply.setCookie(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      path: COOKIE_PATH,
      maxAge: maxAgeSeconds,
    })

  scope.post(
    '/v1/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Sign in to the console: exchange an API key for a session cookie',
        description: `Answers with the session and sets \`${SESSION_COOKIE}\` (HttpOnly, SameSite=Strict, Secure over https, path /v1),
which then authenticates requests in place of the key until \`expiresAt\`. Writes made with the cookie need \`csrfToken\`
in the \`X-CSRF-Token\` header. The key needs the read scope. The key is sealed in the cookie (AES-256-GCM under
SESSION_SECRET), so revoking it ends its sessions too.`,
        body: z.object({ key: z.string().min(1, 'must be an API key').max(256, 'must be an API key').describe('cw_<id>_<secret>') }),
        response: { 200: sessionSchema, ...problemResponses(400, 401, 403, 415, 429) },
      },
    },
    async (request, reply) => {
      const expiresAt = options.now().getTime() + options.ttlMs
      const csrfToken = randomBytes(24).toString('base64url')
      const session = await describe(request.body.key, expiresAt, csrfToken)
      if (!session) throw new ApiError('unauthorized', 'the API key is not valid (unknown, revoked or mistyped)')
      if (!hasScope(session.scopes, 'read')) {
        throw new ApiError('forbidden', `the console needs a key with the "read" scope; this key has: ${session.scopes.join(', ')}`)
      }
      setCookie(request, reply, sealer.seal({ k: request.body.key, e: expiresAt, c: csrfToken }), Math.floor(options.ttlMs / 1000))
      return session
    },
  )

  scope.get(
    '/v1/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'The current console session (its scopes and CSRF token)',
        description: 'A 401 when the session cookie is missing, altered, expired, or holds a key that is no longer valid.',
        response: { 200: sessionSchema, ...problemResponses(401, 429) },
      },
    },
    async (request) => {
      const payload = currentPayload(request)
      const session = payload ? await describe(payload.k, payload.e, payload.c) : undefined
      if (!session) throw new ApiError('unauthorized', 'no valid console session: sign in with an API key')
      return session
    },
  )

  scope.delete(
    '/v1/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Sign out of the console',
        description: 'Clears the session cookie. With a valid session the X-CSRF-Token header is required (403 without it).',
        response: { 204: z.undefined().describe('Signed out'), ...problemResponses(403, 429) },
      },
    },
    async (request, reply) => {
      setCookie(request, reply, '', 0)
      return reply.code(204).send()
    },
  )

  /** The open payload of this request's valid cookie (the hook has already checked expiry and CSRF). */
  function currentPayload(request: FastifyRequest): SessionPayload | undefined {
    if (request.sessionKey === undefined) return undefined
    const value = request.cookies[SESSION_COOKIE]
    return value === undefined ? undefined : sealer.open(value)
  }
}

/** Signing in replaces any session; a cross-site page cannot send its JSON body (no CORS), so no token is asked. */
function isSessionExchange(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.routeOptions.url === '/v1/session'
}
