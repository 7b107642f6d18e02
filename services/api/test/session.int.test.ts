import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { revokeApiKey, withTransaction, writeAlerts } from '@churnwatch/storage'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_CSP } from '../src/plugins/console.js'
import { alertRow, body, buildTestApi, type TestApi } from './harness.js'

const json = { 'content-type': 'application/json' }

/** The `cw_session=<value>` pair a response set, and the whole Set-Cookie line. */
function sessionCookie(response: LightMyRequestResponse): { pair: string; line: string } {
  const header = response.headers['set-cookie']
  const line = (Array.isArray(header) ? header : [header ?? '']).find((c) => c.startsWith('cw_session=')) ?? ''
  return { pair: line.split(';')[0] ?? '', line }
}

describe('console sessions', () => {
  let api: TestApi
  let consoleDir: string
  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'cw-console-'))
    mkdirSync(join(consoleDir, 'assets'))
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>churnwatch</title>')
    writeFileSync(join(consoleDir, 'assets', 'index-abc123.js'), 'console.log(1)')
    api = await buildTestApi('session', { sessionSecret: 'x'.repeat(40), sessionTtlMs: 3_600_000, consoleDir })
    await withTransaction(api.db.pool, (tx) => writeAlerts(tx, [alertRow('al-s1', '2026-03-01T00:00:00.000Z'), alertRow('al-s2', '2026-03-01T00:00:00.000Z')]))
  })
  afterAll(() => api.close())

  const signIn = async (key: string) => {
    const response = await api.app.inject({ method: 'POST', url: '/v1/session', headers: json, payload: { key } })
    return { response, cookie: sessionCookie(response).pair, csrf: response.statusCode === 200 ? body<{ csrfToken: string }>(response).csrfToken : '' }
  }

  it('exchanges a key for an HttpOnly, SameSite=Strict cookie that expires, and answers with scopes and a CSRF token', async () => {
    api.setNow('2026-03-01T12:00:00.000Z')
    const { response, cookie } = await signIn(api.keys.admin)
    expect(response.statusCode).toBe(200)
    const session = body(response)
    expect(session).toMatchObject({ name: 'admin', scopes: ['admin'], expiresAt: '2026-03-01T13:00:00.000Z' })
    expect(String(session.csrfToken)).toMatch(/^[A-Za-z0-9_-]{32}$/)
    const { line } = sessionCookie(response)
    expect(line).toMatch(/; Max-Age=3600/)
    expect(line).toMatch(/; Path=\/v1/)
    expect(line).toMatch(/; HttpOnly/)
    expect(line).toMatch(/; SameSite=Strict/)
    // Sealed: the key cannot be read from the cookie.
    expect(cookie).not.toContain(api.keys.admin.split('_')[2])
    const again = await api.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } })
    expect(again.statusCode).toBe(200)
    expect(body(again)).toEqual(session)
    // Signing in again over a live session replaces it without asking for the old session's token.
    const replaced = await api.app.inject({ method: 'POST', url: '/v1/session', headers: { ...json, cookie }, payload: { key: api.keys.read } })
    expect(replaced.statusCode).toBe(200)
    expect(body(replaced).scopes).toEqual(['read'])
    // A form post (not JSON) cannot sign anyone in: cross-site pages can only send forms without CORS.
    const form = await api.app.inject({ method: 'POST', url: '/v1/session', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `key=${api.keys.admin}` })
    expect(form.statusCode).toBe(415)
    expect(form.headers['set-cookie']).toBeUndefined()
  })

  it('authenticates reads with the cookie alone, and refuses an altered or expired one', async () => {
    api.setNow('2026-03-01T12:00:00.000Z')
    const { cookie } = await signIn(api.keys.read)
    expect((await api.app.inject({ method: 'GET', url: '/v1/alerts', headers: { cookie } })).statusCode).toBe(200)
    const value = cookie.slice('cw_session='.length)
    const altered = `cw_session=${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`
    const forged = await api.app.inject({ method: 'GET', url: '/v1/alerts', headers: { cookie: altered } })
    expect(forged.statusCode).toBe(401)
    api.setNow('2026-03-01T13:00:00.000Z')
    const expired = await api.app.inject({ method: 'GET', url: '/v1/alerts', headers: { cookie } })
    expect(expired.statusCode).toBe(401)
    expect(body(expired).detail).toMatch(/an API key is required/)
    expect((await api.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } })).statusCode).toBe(401)
  })

  it('needs the session CSRF token for writes: missing or forged is a 403, the right one passes', async () => {
    api.setNow('2026-03-01T12:00:00.000Z')
    const { cookie, csrf } = await signIn(api.keys.admin)
    const other = await signIn(api.keys.admin)
    const ack = (headers: Record<string, string>) => api.app.inject({ method: 'POST', url: '/v1/alerts/al-s1/ack', headers: { cookie, ...headers } })
    const missing = await ack({})
    expect(missing.statusCode).toBe(403)
    expect(body(missing).detail).toBe("a write made with the session cookie needs the session's CSRF token in the x-csrf-token header")
    // A token of another session is not this session's.
    expect((await ack({ 'x-csrf-token': other.csrf })).statusCode).toBe(403)
    expect((await ack({ 'x-csrf-token': `${csrf.slice(0, -1)}x` })).statusCode).toBe(403)
    const ok = await ack({ 'x-csrf-token': csrf })
    expect(ok.statusCode).toBe(200)
    expect(body(ok).status).toBe('acknowledged')
  })

  it('respects the key scopes: a read-only session cannot acknowledge even with its token', async () => {
    api.setNow('2026-03-01T12:00:00.000Z')
    const { cookie, csrf } = await signIn(api.keys.read)
    const response = await api.app.inject({ method: 'POST', url: '/v1/alerts/al-s2/ack', headers: { cookie, 'x-csrf-token': csrf } })
    expect(response.statusCode).toBe(403)
    expect(body(response).detail).toBe('this operation needs the "alerts:write" scope; the key has: read')
  })

  it('refuses unknown keys and keys without the read scope; a revoked key ends its sessions', async () => {
    expect((await signIn('cw_000000000000_' + 'a'.repeat(43))).response.statusCode).toBe(401)
    const intake = await signIn(api.keys['events:write'])
    expect(intake.response.statusCode).toBe(403)
    expect(body(intake.response).detail).toBe('the console needs a key with the "read" scope; this key has: events:write')
    const bad = await api.app.inject({ method: 'POST', url: '/v1/session', headers: json, payload: {} })
    expect(bad.statusCode).toBe(400)
    expect(body(bad).errors).toEqual([{ path: 'body.key', message: expect.any(String) }])

    api.setNow('2026-03-01T12:00:00.000Z')
    const { createApiKey } = await import('@churnwatch/storage')
    const temp = await createApiKey(api.db.pool, { name: 'temp', scopes: ['read'] })
    const { cookie } = await signIn(temp.key)
    await revokeApiKey(api.db.pool, temp.id)
    expect((await api.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } })).statusCode).toBe(401)
  })

  it('signs out: DELETE clears the cookie and needs the CSRF token of a live session', async () => {
    api.setNow('2026-03-01T12:00:00.000Z')
    const { cookie, csrf } = await signIn(api.keys.read)
    expect((await api.app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie } })).statusCode).toBe(403)
    const out = await api.app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie, 'x-csrf-token': csrf } })
    expect(out.statusCode).toBe(204)
    expect(sessionCookie(out).line).toMatch(/^cw_session=; Max-Age=0; Path=\/v1; HttpOnly; SameSite=Strict/)
  })

  it('serves the console at /app/ with its own CSP, caching hashed assets only', async () => {
    const redirect = await api.app.inject({ method: 'GET', url: '/app' })
    expect(redirect.statusCode).toBe(301)
    expect(redirect.headers.location).toBe('/app/')
    const index = await api.app.inject({ method: 'GET', url: '/app/' })
    expect(index.statusCode).toBe(200)
    expect(index.headers['content-type']).toMatch(/^text\/html/)
    expect(index.body).toContain('<title>churnwatch</title>')
    expect(index.headers['content-security-policy']).toBe(CONSOLE_CSP)
    expect(index.headers['cache-control']).toBe('no-cache')
    const asset = await api.app.inject({ method: 'GET', url: '/app/assets/index-abc123.js' })
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    // The API's own responses keep the strict JSON policy.
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
  })

  it('documents the session routes in OpenAPI', async () => {
    const doc = body<{ paths: Record<string, Record<string, unknown>> }>(await api.app.inject({ method: 'GET', url: '/openapi.json' }))
    expect(Object.keys(doc.paths['/v1/session'] ?? {}).sort()).toEqual(['delete', 'get', 'post'])
  })
})
