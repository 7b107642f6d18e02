import { NUL_MESSAGE } from '@churnwatch/contract'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { badRequest, type FieldError } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The handler checks the body itself (event intake: the contract refuses U+0000 per event, so one bad event does not reject a batch). */
    bodyCheckedByHandler?: boolean
  }
}

const MAX_DEPTH = 64


/** Field errors for strings holding U+0000, in keys or values, at dotted paths under `prefix`; the first few only. */
export function nulFieldErrors(value: unknown, prefix = ''): FieldError[] {
  const found: FieldError[] = []
  const walk = (v: unknown, path: string, depth: number): void => {
    if (found.length >= 5) return
    if (typeof v === 'string') {
      if (v.includes('\u0000')) found.push({ path, message: NUL_MESSAGE })
      return
    }
    if (typeof v !== 'object' || v === null || depth > MAX_DEPTH) return
    for (const [key, item] of Object.entries(v)) {
      const at = path === '' ? key : `${path}.${key}`
      if (key.includes('\u0000')) found.push({ path: at.replaceAll('\u0000', '\\u0000'), message: NUL_MESSAGE })
      walk(item, at, depth + 1)
    }
  }
  walk(value, prefix, 0)
  return found
}

/**
 * Rejects U+0000 anywhere in path parameters, the query string and JSON bodies with a 400 problem.
 * PostgreSQL text and jsonb cannot hold it, so without this an id like `a%00b` reached a query and
 * came back as a 500. Runs before validation, so every route is covered whatever its schema says.
 */
export const inputGuardPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('preValidation', (request, _reply, done) => {
      if (request.is404) return done()
      // A NUL can reach params or the query only percent-encoded (Node refuses a raw one): one
      // string search spares the walk on every ordinary GET.
      const inUrl = request.raw.url?.includes('%00') === true
      const checkBody = request.body !== undefined && !request.routeOptions.config.bodyCheckedByHandler
      if (!inUrl && !checkBody) return done()
      const found = [
        ...(inUrl ? [...nulFieldErrors(request.params, 'params'), ...nulFieldErrors(request.query, 'query')] : []),
        ...(checkBody ? nulFieldErrors(request.body, 'body') : []),
      ]
      if (found.length === 0) return done()
      done(badRequest(found.map((f) => `${f.path}: ${f.message}`).join('; '), found))
    })
  },
  { name: 'churnwatch-input-guard' },
)
