import { upsertCustomerStates, withTransaction } from '@churnwatch/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { body, buildTestApi, saveScoreRows, scoreRow, T0, type TestApi } from './harness.js'

interface ListPage {
  data: Array<{ customerId: string; revenueAtRisk: number; probability: number; band: string; changeSeq: number }>
  nextCursor: string | null
  walkStartedAt: string | null
}

describe('customer risk endpoints', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('customers')
  })
  afterAll(() => api.close())

  const get = (url: string, headers: Record<string, string> = {}) => api.call('read', { method: 'GET', url, headers })
  const reset = () => api.db.pool.query('TRUNCATE risk_scores, risk_score_history, customers')

  /** Follows nextCursor to the end; `between` runs after each page (1-based) before the next request. */
  async function walk(query: string, between: (page: number) => Promise<void> = async () => {}) {
    const pages: ListPage[] = []
    let url = `/v1/customers?${query}`
    for (let n = 1; ; n++) {
      const response = await get(url)
      expect(response.statusCode).toBe(200)
      const page = body<ListPage>(response)
      pages.push(page)
      if (!page.nextCursor) break
      await between(n)
      url = `/v1/customers?${query}&cursor=${page.nextCursor}`
    }
    return { ids: pages.flatMap((p) => p.data.map((d) => d.customerId)), pages }
  }

  describe('GET /v1/customers/{id}/risk', () => {
    it('returns probability, band, drivers as sentences with values, revenue at risk, times, model and key features', async () => {
      await reset()
      await saveScoreRows(api, [scoreRow('acme', 0.72, 4900)])
      // A per-action driver is a key feature too.
      await saveScoreRows(api, [
        scoreRow('acme-action', 0.5, 1000, {
          drivers: [{ feature: 'action_30d:report_exported', value: 3, contribution: -0.2, sentence: 'Exported 3 reports in the last 30 days' }],
        }),
      ])
      const actionRisk = body<{ keyFeatures: Array<{ name: string; description: string }> }>(await get('/v1/customers/acme-action/risk'))
      expect(actionRisk.keyFeatures[0]).toEqual({ name: 'action_30d:report_exported', value: 3, description: "'report_exported' events in the last 30 days", unit: 'events' })
      const response = await get('/v1/customers/acme/risk')
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toContain('application/json')
      const risk = body(response)
      expect(risk).toMatchObject({
        customerId: 'acme',
        probability: 0.72,
        band: 'high',
        revenueAtRisk: 3528, // round(0.72 × 4900) cents
        mrr: 4900,
        plan: 'pro',
        modelVersion: 'gbdt-2026-02-01-abcdef01',
        asOf: T0,
        scoredAt: T0,
        drivers: [
          { feature: 'days_since_last_activity', value: 21, contribution: 0.8, sentence: 'No product usage in the last 21 days' },
          { feature: 'failed_payments_90d', value: 2, contribution: 0.3, sentence: '2 failed payments in the last 90 days' },
        ],
      })
      expect(typeof risk.changeSeq).toBe('number')
      // Drivers' features first, then the headline features the score holds, each described by the features package.
      expect(risk.keyFeatures).toEqual([
        { name: 'days_since_last_activity', value: 21, description: 'days since the last day with any product usage', unit: 'days' },
        { name: 'failed_payments_90d', value: 2, description: 'failed payments in the last 90 days', unit: 'payments' },
        { name: 'tenure_days', value: 120.5, description: 'days since the subscription first started', unit: 'days' },
        { name: 'mrr', value: 4900, description: 'monthly recurring revenue', unit: 'cents' },
      ])
    })

    it('answers 404 problems for an unknown customer and for a known one without a current score', async () => {
      const unknown = await get('/v1/customers/nobody/risk')
      expect(unknown.statusCode).toBe(404)
      expect(unknown.headers['content-type']).toBe('application/problem+json; charset=utf-8')
      expect(body(unknown)).toMatchObject({
        type: 'https://churnwatch.dev/problems/not-found',
        title: 'Not found',
        status: 404,
        detail: 'unknown customer "nobody"',
        code: 'CW_API_NOT_FOUND',
        instance: '/v1/customers/nobody/risk',
      })
      await withTransaction(api.db.pool, (tx) =>
        upsertCustomerStates(tx, [
          { customerId: 'gone', status: 'ended', plan: null, mrr: 0, startedAt: null, endedAt: Date.parse(T0), firstBillingAt: 0, lastBillingAt: 0, billingEvents: 2 },
        ]),
      )
      const ended = await get('/v1/customers/gone/risk')
      expect(ended.statusCode).toBe(404)
      expect(body(ended).detail).toBe('customer "gone" has no current score: it is not an active subscriber or has not been scored yet')
    })

    it('validates the id', async () => {
      const response = await get(`/v1/customers/${'x'.repeat(129)}/risk`)
      expect(response.statusCode).toBe(400)
      expect(body(response).errors).toEqual([{ path: 'params.id', message: 'must be 1-128 characters' }])
    })

    it('serves many concurrent single reads correctly (they share batched queries)', async () => {
      await reset()
      await saveScoreRows(api, Array.from({ length: 40 }, (_, i) => scoreRow(`c${i}`, i / 100, 1000)))
      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => get(`/v1/customers/c${i}/risk`)))
      expect(responses.map((r) => body(r).probability)).toEqual(Array.from({ length: 40 }, (_, i) => i / 100))
    })
  })

  describe('GET /v1/customers/{id}/risk/history', () => {
    it('pages material changes newest first and 404s an unknown customer', async () => {
      await reset()
      for (const [day, p] of [[1, 0.2], [2, 0.4], [3, 0.7]] as const) {
        const at = `2026-03-0${day}T00:00:00.000Z`
        await saveScoreRows(api, [scoreRow('hist', p, 1000, { asOf: at, scoredAt: at })])
      }
      const first = await get('/v1/customers/hist/risk/history?limit=2')
      expect(first.statusCode).toBe(200)
      const page1 = body<{ data: Array<{ probability: number; band: string }>; nextCursor: string }>(first)
      expect(page1.data.map((e) => [e.probability, e.band])).toEqual([
        [0.7, 'high'],
        [0.4, 'medium'],
      ])
      const page2 = body<{ data: Array<{ probability: number }>; nextCursor: string | null }>(
        await get(`/v1/customers/hist/risk/history?limit=2&cursor=${page1.nextCursor}`),
      )
      expect(page2.data.map((e) => e.probability)).toEqual([0.2])
      expect(page2.nextCursor).toBeNull()
      expect((await get('/v1/customers/nobody/risk/history')).statusCode).toBe(404)
      // A cursor from another customer's history does not apply here.
      const other = await get(`/v1/customers/acme/risk/history?cursor=${page1.nextCursor}`)
      expect(other.statusCode).toBe(400)
      expect(body(other).errors).toEqual([{ path: 'query.cursor', message: 'does not match the sort and filters of this request' }])
    })
  })

  describe('GET /v1/customers (ranked list)', () => {
    it('ranks by revenue at risk or probability, ties by customer id, with band and probability filters', async () => {
      await reset()
      await saveScoreRows(api, [scoreRow('a', 0.9, 1000), scoreRow('b', 0.5, 2000), scoreRow('c', 0.2, 5000), scoreRow('d', 0.5, 1000), scoreRow('e', 0.7, 1000)])
      expect((await walk('limit=2')).ids).toEqual(['b', 'c', 'a', 'e', 'd'])
      expect((await walk('limit=2&sort=probability')).ids).toEqual(['a', 'e', 'b', 'd', 'c'])
      expect((await walk('sort=probability&band=medium')).ids).toEqual(['b', 'd'])
      expect((await walk('band=high,low')).ids).toEqual(['c', 'a', 'e'])
      expect((await walk('minProbability=0.7')).ids).toEqual(['a', 'e'])
      const { pages } = await walk('limit=2')
      expect(pages[0]?.walkStartedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
      expect(pages.every((p) => p.walkStartedAt === pages[0]?.walkStartedAt)).toBe(true)
      expect(pages.at(-1)?.nextCursor).toBeNull()
    })

    it('keeps a walk stable while scores change: no customer twice, none skipped that was not rescored, the rest caught up by updatedSince', async () => {
      await reset()
      const ids = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`)
      // Revenue 3000, 2900, ...: the initial order is k00, k01, ...
      await saveScoreRows(api, ids.map((id, i) => scoreRow(id, 0.5, 6000 - 200 * i)))
      const rescored = new Set<string>()
      const rescore = async (id: string, probability: number, mrr: number) => {
        await saveScoreRows(api, [scoreRow(id, probability, mrr, { scoredAt: new Date().toISOString() })])
        rescored.add(id)
      }
      const { ids: seen, pages } = await walk('limit=7', async (page) => {
        if (page === 1) {
          await rescore('k02', 0.01, 6000) // returned on page 1, drops to the bottom
          await rescore('k20', 0.99, 6000) // not yet returned, jumps to the top
          await rescore('k10', 0.5, 4000) // rescored without moving
        }
        if (page === 2) {
          await rescore('k25', 0.5, 4400) // moves from the end to just after the cursor
          await rescore('k09', 0.01, 100) // returned on page 2, drops to the bottom
        }
      })
      expect(new Set(seen).size).toBe(seen.length)
      expect(seen.filter((id) => !rescored.has(id))).toEqual(ids.filter((id) => !rescored.has(id)))
      expect(seen).toEqual(expect.arrayContaining(['k02', 'k09']))

      // The follow-up the docs recommend returns every customer rescored since the walk began.
      const walkStartedAt = pages[0]?.walkStartedAt ?? ''
      const catchUp = await walk(`updatedSince=${encodeURIComponent(walkStartedAt)}`)
      expect(new Set(catchUp.ids)).toEqual(rescored)
    })

    it('filters material changes with changedSince', async () => {
      await reset()
      await saveScoreRows(api, [scoreRow('m1', 0.4, 1000), scoreRow('m2', 0.4, 1000)])
      const before = body<ListPage>(await get('/v1/customers'))
      const high = Math.max(...before.data.map((d) => d.changeSeq))
      await saveScoreRows(api, [scoreRow('m2', 0.8, 1000)])
      await saveScoreRows(api, [scoreRow('m1', 0.41, 1000)], false) // a small drift is not a material change
      expect((await walk(`changedSince=${high}`)).ids).toEqual(['m2'])
    })

    it('streams the same list as CSV for CRM import', async () => {
      await reset()
      await saveScoreRows(api, [
        scoreRow('csv-1', 0.9, 1000),
        scoreRow('=cmd|calc', 0.5, 3000, {
          drivers: [{ feature: 'seats', value: 3, contribution: 0.2, sentence: 'Seats fell to 3, from "10"' }],
        }),
        scoreRow('csv-3', 0.2, 1000),
      ])
      const json = (await walk('limit=2')).ids
      const response = await get('/v1/customers', { accept: 'text/csv' })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8')
      expect(response.headers['content-disposition']).toBe('attachment; filename="at-risk-customers.csv"')
      const lines = response.body.split('\r\n')
      expect(lines[0]).toBe('customerId,probability,band,revenueAtRisk,mrr,plan,modelVersion,asOf,scoredAt,changeSeq,driver1,driver2,driver3,segment,ownerId,renewalAt')
      expect(lines.at(-1)).toBe('')
      const rows = lines.slice(1, -1)
      expect(rows.map((r) => r.split(',')[0])).toEqual(json.map((id) => (id.startsWith('=') ? `'${id}` : id)))
      expect(rows[0]).toMatch(/^'=cmd\|calc,0\.5,medium,1500,3000,pro,gbdt-2026-02-01-abcdef01,2026-03-01T12:00:00\.000Z,2026-03-01T12:00:00\.000Z,\d+,"Seats fell to 3, from ""10""",,,,,$/)
      expect(rows[1]).toMatch(/^csv-1,0\.9,high,900,1000,pro,.*,No product usage in the last 21 days,2 failed payments in the last 90 days,,,,$/)

      // Filters and limit apply to the export too; JSON still wins when both are acceptable.
      const limited = await get('/v1/customers?band=high,medium&limit=1', { accept: 'text/csv' })
      expect(limited.body.split('\r\n').slice(1, -1).map((r) => r.split(',')[0])).toEqual(["'=cmd|calc"])
      const preferJson = await get('/v1/customers', { accept: 'application/json, text/csv;q=0.5' })
      expect(preferJson.headers['content-type']).toContain('application/json')
    })

    it('streams a long list in several pages of one walk', async () => {
      await reset()
      await saveScoreRows(api, Array.from({ length: 2_345 }, (_, i) => scoreRow(`bulk-${String(i).padStart(5, '0')}`, 0.5, 1000 + 2 * i)))
      const response = await get('/v1/customers', { accept: 'text/csv' })
      const rows = response.body.split('\r\n').slice(1, -1)
      expect(rows).toHaveLength(2_345)
      expect(rows[0]?.startsWith('bulk-02344,')).toBe(true)
      expect(new Set(rows.map((r) => r.split(',')[0])).size).toBe(2_345)
    })

    it.each([
      ['limit=0', 'query.limit', 'limit must be an integer from 1 to 1000'],
      ['limit=1001', 'query.limit', 'limit must be an integer from 1 to 1000'],
      ['limit=ten', 'query.limit', 'limit must be an integer from 1 to 1000'],
      ['sort=name', 'query.sort', 'sort must be revenueAtRisk or probability'],
      ['band=critical', 'query.band.0', 'band must be one of: low, medium, high'],
      ['minProbability=1.5', 'query.minProbability', 'minProbability must be a number from 0 to 1'],
      ['updatedSince=last-week', 'query.updatedSince', 'must be an ISO-8601 date (2026-03-01) or instant with a zone (2026-03-01T12:00:00Z)'],
      ['changedSince=-1', 'query.changedSince', 'changedSince must be a non-negative integer (a changeSeq)'],
      ['cursor=!!!', 'query.cursor', 'is malformed'],
    ])('rejects %s with a field error', async (query, path, message) => {
      const response = await get(`/v1/customers?${query}`)
      expect(response.statusCode).toBe(400)
      expect(body(response)).toMatchObject({ status: 400, code: 'CW_API_VALIDATION', errors: [{ path, message }] })
    })

    it('refuses a cursor used with another sort or other filters', async () => {
      await reset()
      await saveScoreRows(api, [scoreRow('x1', 0.9, 1000), scoreRow('x2', 0.8, 1000)])
      const { nextCursor } = body<ListPage>(await get('/v1/customers?limit=1'))
      const response = await get(`/v1/customers?limit=1&sort=probability&cursor=${nextCursor}`)
      expect(response.statusCode).toBe(400)
      expect(body(response).errors).toEqual([{ path: 'query.cursor', message: 'does not match the sort and filters of this request' }])
      // A changed page size is fine.
      expect((await get(`/v1/customers?limit=5&cursor=${nextCursor}`)).statusCode).toBe(200)
      // A tampered cursor is malformed, never SQL.
      const tampered = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(nextCursor ?? '', 'base64url').toString()), s: "1:2:'; DROP TABLE x" }),
      ).toString('base64url')
      expect(body(await get(`/v1/customers?limit=1&cursor=${tampered}`)).errors).toEqual([{ path: 'query.cursor', message: 'is malformed' }])
    })
  })

  describe('POST /v1/scores/batch-get', () => {
    it('returns current risk for up to 1,000 ids in the order asked, listing the missing', async () => {
      await reset()
      await saveScoreRows(api, [scoreRow('b1', 0.3, 1000), scoreRow('b2', 0.6, 1000)])
      const response = await api.call('read', { method: 'POST', url: '/v1/scores/batch-get', payload: { customerIds: ['b2', 'nope', 'b1', 'b2'] } })
      expect(response.statusCode).toBe(200)
      const result = body<{ data: Array<{ customerId: string; keyFeatures: unknown[] }>; missing: string[] }>(response)
      expect(result.data.map((d) => d.customerId)).toEqual(['b2', 'b1'])
      expect(result.data[0]?.keyFeatures.length).toBeGreaterThan(0)
      expect(result.missing).toEqual(['nope'])
      const big = await api.call('read', { method: 'POST', url: '/v1/scores/batch-get', payload: { customerIds: Array.from({ length: 1_000 }, (_, i) => `id-${i}`) } })
      expect(big.statusCode).toBe(200)
      expect(body<{ missing: string[] }>(big).missing).toHaveLength(1_000)
    })

    it.each([
      [{ customerIds: [] }, 'body.customerIds', 'must hold 1 to 1000 customer ids'],
      [{ customerIds: Array.from({ length: 1_001 }, (_, i) => `id-${i}`) }, 'body.customerIds', 'must hold 1 to 1000 customer ids'],
      [{ customerIds: [''] }, 'body.customerIds.0', 'must be 1-128 characters'],
      [{}, 'body.customerIds', 'Invalid input: expected array, received undefined'],
    ])('rejects a bad body with field errors (%#)', async (payload, path, message) => {
      const response = await api.call('read', { method: 'POST', url: '/v1/scores/batch-get', payload })
      expect(response.statusCode).toBe(400)
      expect(body(response).errors).toEqual([{ path, message }])
    })
  })
})
