// Inputs the API fuzz (fuzz.chaos.test.ts) found answered with a 500 or outside problem+json;
// each is now a 4xx problem, and stays one.
import { connect, type AddressInfo } from 'node:net'
import { withTransaction, writeAlerts } from '@churnwatch/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryFingerprint } from '../src/cursor.js'
import { body, buildTestApi, saveScoreRows, scoreRow, T0, type TestApi } from './harness.js'

const encode = (payload: object) => Buffer.from(JSON.stringify(payload)).toString('base64url')

describe('hostile input', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('hostile')
    await saveScoreRows(api, [scoreRow('a', 0.5, 100), scoreRow('b', 0.4, 200), scoreRow('c', 0.3, 300)])
    await saveScoreRows(api, [scoreRow('a', 0.9, 100, { asOf: '2026-03-02T00:00:00.000Z', scoredAt: '2026-03-02T00:00:00.000Z' })])
    const alert = (alertId: string) => ({
      alertId,
      customerId: 'a',
      kind: 'risk_high' as const,
      status: 'open' as const,
      probability: 0.8,
      revenueAtRisk: 80,
      drivers: [],
      play: 'Call',
      createdAt: T0,
      updatedAt: T0,
      acknowledgedAt: null,
      resolvedAt: null,
      resolution: null,
    })
    await withTransaction(api.db.pool, (tx) => writeAlerts(tx, [alert('al-1'), { ...alert('al-2'), customerId: 'b' }]))
  })
  afterAll(() => api.close())

  const expectProblem = (response: Awaited<ReturnType<TestApi['call']>>, status: number, code: string) => {
    expect(response.statusCode, response.body).toBe(status)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(body(response)).toMatchObject({ status, code })
  }

  it('answers a URL the router cannot decode with a 400 problem instead of Fastify’s own JSON', async () => {
    for (const url of ['/v1/customers/%zz/risk', '/v1/customers/%E0%A4%A/risk']) {
      const response = await api.call('read', { method: 'GET', url })
      expectProblem(response, 400, 'CW_API_BAD_REQUEST')
      expect(body(response).detail).toBe('the request URL is not a valid percent-encoded path')
    }
    // Too long for the router's parameter limit: also a problem.
    expectProblem(await api.call('read', { method: 'GET', url: `/v1/customers/${'x'.repeat(600)}/risk` }), 400, 'CW_API_BAD_REQUEST')
  })

  it('refuses U+0000 in ids, query parameters and JSON bodies with a 400 (PostgreSQL text cannot hold it)', async () => {
    const inPath = await api.call('read', { method: 'GET', url: '/v1/customers/a%00b/risk' })
    expectProblem(inPath, 400, 'CW_API_VALIDATION')
    expect(body(inPath).errors).toEqual([{ path: 'params.id', message: 'must not contain the NUL character (U+0000)' }])
    expectProblem(await api.call('admin', { method: 'POST', url: '/v1/alerts/%00/resolve' }), 400, 'CW_API_VALIDATION')
    const inQuery = await api.call('read', { method: 'GET', url: '/v1/alerts?status=open%00' })
    expectProblem(inQuery, 400, 'CW_API_VALIDATION')
    expect(body(inQuery).errors).toEqual([{ path: 'query.status', message: 'must not contain the NUL character (U+0000)' }])
    const inBody = await api.call('read', { method: 'POST', url: '/v1/scores/batch-get', payload: { customerIds: ['a', 'b\u0000'] } })
    expectProblem(inBody, 400, 'CW_API_VALIDATION')
    expect(body(inBody).errors).toEqual([{ path: 'body.customerIds.1', message: 'must not contain the NUL character (U+0000)' }])
    // Nothing was written: the alert is still open.
    expect(body(await api.call('read', { method: 'GET', url: '/v1/alerts?status=open' })).data).toHaveLength(2)
  })

  it('refuses events holding U+0000 (the feature builder could not store them), per event in a batch', async () => {
    const event = (eventId: string, customerId: string) => ({ eventId, customerId, occurredAt: T0, kind: 'usage', action: 'login' })
    const single = await api.call('events:write', { method: 'POST', url: '/v1/events', payload: event('e-1', 'a\u0000b') })
    expectProblem(single, 400, 'CW_API_VALIDATION')
    expect(body(single).errors).toEqual([{ path: 'body.customerId', message: 'must not contain the NUL character (U+0000)' }])
    const batch = await api.call('events:write', { method: 'POST', url: '/v1/events/batch', payload: { events: [event('e-2', 'a'), event('e-3', 'x\u0000')] } })
    expect(batch.statusCode).toBe(202)
    expect(body(batch)).toMatchObject({
      accepted: 1,
      rejected: 1,
      results: [
        { index: 0, status: 'accepted' },
        { index: 1, status: 'rejected', errors: [{ path: 'customerId', message: 'must not contain the NUL character (U+0000)' }] },
      ],
    })
  })

  it('refuses JSON nested deeper than 64 levels before parsing it (it overflowed the stack in event intake)', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`
    const response = await api.call('events:write', { method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload: deep })
    expectProblem(response, 400, 'CW_API_BAD_REQUEST')
    expect(body(response).detail).toBe('the JSON body nests arrays and objects deeper than 64 levels')
    const objects = `{"events":[${'{"a":'.repeat(70)}1${'}'.repeat(70)}]}`
    expectProblem(await api.call('events:write', { method: 'POST', url: '/v1/events/batch', headers: { 'content-type': 'application/json' }, payload: objects }), 400, 'CW_API_BAD_REQUEST')
  })

  it('refuses forged cursors whose fields PostgreSQL would reject, as malformed (400), not as a 500', async () => {
    const alertsQ = queryFingerprint({ route: 'alerts', status: undefined, kind: undefined, since: undefined })
    const firstPage = body<{ nextCursor: string }>(await api.call('read', { method: 'GET', url: '/v1/customers?limit=1' }))
    const listCursor = JSON.parse(Buffer.from(firstPage.nextCursor, 'base64url').toString('utf8')) as Record<string, unknown>
    const historyPage = body<{ nextCursor: string }>(await api.call('read', { method: 'GET', url: '/v1/customers/a/risk/history?limit=1' }))
    const historyCursor = JSON.parse(Buffer.from(historyPage.nextCursor, 'base64url').toString('utf8')) as Record<string, unknown>
    const forged = [
      `/v1/alerts?cursor=${encode({ q: alertsQ, c: 'not a date', id: 'x' })}`,
      `/v1/alerts?cursor=${encode({ q: alertsQ, c: '2026-02-30T00:00:00Z', id: 'x' })}`,
      `/v1/alerts?cursor=${encode({ q: alertsQ, c: T0, id: 'a\u0000' })}`,
      `/v1/customers?limit=1&cursor=${encode({ ...listCursor, s: '99999999999999999999:1:' })}`,
      `/v1/customers?limit=1&cursor=${encode({ ...listCursor, s: '5:1:' })}`,
      `/v1/customers?limit=1&cursor=${encode({ ...listCursor, k: 1e308 })}`,
      `/v1/customers?limit=1&cursor=${encode({ ...listCursor, k: 1.5 })}`,
      `/v1/customers/a/risk/history?limit=1&cursor=${encode({ ...historyCursor, a: 'NaN' })}`,
    ]
    for (const url of forged) {
      const response = await api.call('read', { method: 'GET', url })
      expectProblem(response, 400, 'CW_API_VALIDATION')
      expect(body(response).errors).toEqual([{ path: 'query.cursor', message: 'is malformed' }])
    }
    // The genuine cursors still page.
    expect((await api.call('read', { method: 'GET', url: `/v1/customers?limit=1&cursor=${firstPage.nextCursor}` })).statusCode).toBe(200)
    expect((await api.call('read', { method: 'GET', url: `/v1/customers/a/risk/history?limit=1&cursor=${historyPage.nextCursor}` })).statusCode).toBe(200)
  })

  describe('over a raw socket', () => {
    let port: number
    beforeAll(async () => {
      await api.app.listen({ port: 0, host: '127.0.0.1' })
      port = (api.app.server.address() as AddressInfo).port
    })

    const send = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1')
        let text = ''
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
        socket.on('close', () => resolve(text))
        socket.on('error', reject)
        socket.write(bytes)
      })

    it.each([
      ['a malformed header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n', 400, 'CW_API_BAD_REQUEST'],
      ['conflicting lengths', 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}', 400, 'CW_API_BAD_REQUEST'],
      ['headers over the size limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'CW_API_HEADERS_TOO_LARGE'],
    ])('answers %s with a problem before closing', async (_name, request, status, code) => {
      const text = await send(request)
      const [head = '', problem = ''] = text.split('\r\n\r\n')
      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `))
      expect(head).toMatch(/\r\nContent-Type: application\/problem\+json; charset=utf-8/)
      expect(JSON.parse(problem)).toMatchObject({ status, code })
    })
  })
})
