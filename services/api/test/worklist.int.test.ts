import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLogger } from '@churnwatch/observability'
import { createWebhookStore, saveScores, wakeSnoozedAlerts, withTransaction, writeAlerts } from '@churnwatch/storage'
import { collectMessages, waitFor } from '@churnwatch/testkit'
import { createWebhookDispatcher } from '@churnwatch/webhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertRow, body, buildTestApi, saveScoreRows, scoreRow, T0, type TestApi } from './harness.js'

// Issue 13 (ADR 0015): customer filters on the ranked list (JSON and CSV) and the alert list,
// cursors under filters, alerts:write, snoozes and webhook routing by owner, segment and revenue.

const DAY = 86_400_000
const inDays = (days: number) => new Date(Date.parse(T0) + days * DAY).toISOString()

// revenueAtRisk = round(probability x mrr), by hand:
//   a1 0.80 x 10000 = 8000  high   enterprise  ann  pro   renews in 10 days
//   a2 0.70 x 10000 = 7000  high   enterprise  bob  pro   renews in 45 days
//   a3 0.50 x 10000 = 5000  medium smb         ann  basic renews in 100 days
//   a4 0.40 x 10000 = 4000  medium smb         bob  pro   renewal unknown
//   a5 0.30 x 10000 = 3000  medium enterprise  ann  basic renewed 5 days ago (past: never "within")
//   a6 0.10 x 10000 = 1000  low    (none)      (none) pro renews in 20 days
const CUSTOMERS = [
  { id: 'a1', p: 0.8, segment: 'enterprise', ownerId: 'ann', plan: 'pro', renewalAt: inDays(10) },
  { id: 'a2', p: 0.7, segment: 'enterprise', ownerId: 'bob', plan: 'pro', renewalAt: inDays(45) },
  { id: 'a3', p: 0.5, segment: 'smb', ownerId: 'ann', plan: 'basic', renewalAt: inDays(100) },
  { id: 'a4', p: 0.4, segment: 'smb', ownerId: 'bob', plan: 'pro', renewalAt: null },
  { id: 'a5', p: 0.3, segment: 'enterprise', ownerId: 'ann', plan: 'basic', renewalAt: inDays(-5) },
  { id: 'a6', p: 0.1, segment: null, ownerId: null, plan: 'pro', renewalAt: inDays(20) },
]

describe('filters, owners, snoozes and routing', () => {
  let api: TestApi

  beforeAll(async () => {
    api = await buildTestApi('worklist')
    await saveScoreRows(
      api,
      CUSTOMERS.map((c) => scoreRow(c.id, c.p, 10_000, { segment: c.segment, ownerId: c.ownerId, plan: c.plan, renewalAt: c.renewalAt })),
    )
  })
  afterAll(async () => {
    await api.close()
  })

  const get = (url: string, scope: 'read' | 'admin' = 'read', accept?: string) =>
    api.call(scope, { method: 'GET', url, ...(accept ? { headers: { accept } } : {}) })
  const ids = async (url: string) => body<{ data: Array<{ customerId: string }> }>(await get(url)).data.map((r) => r.customerId)
  const csvIds = async (url: string) => {
    const response = await get(url, 'read', 'text/csv')
    expect(response.statusCode).toBe(200)
    return response.body.split('\r\n').slice(1, -1).map((line) => line.split(',')[0])
  }

  describe('GET /v1/customers', () => {
    it.each([
      ['segment=enterprise', ['a1', 'a2', 'a5']],
      ['segment=smb,enterprise', ['a1', 'a2', 'a3', 'a4', 'a5']],
      ['plan=basic', ['a3', 'a5']],
      ['ownerId=bob', ['a2', 'a4']],
      ['ownerId=ann&ownerId=bob', ['a1', 'a2', 'a3', 'a4', 'a5']],
      ['band=medium', ['a3', 'a4', 'a5']],
      // T0 + 30 days: a1 (10) and a6 (20); a5 renewed in the past, a4 unknown.
      ['renewalWithinDays=30', ['a1', 'a6']],
      ['renewalWithinDays=100', ['a1', 'a2', 'a3', 'a6']],
      ['segment=enterprise&ownerId=ann', ['a1', 'a5']],
      ['plan=pro&band=high&renewalWithinDays=30', ['a1']],
      // Open values that match nobody are an empty answer, not an error.
      ['segment=mid-market', []],
      ['ownerId=nobody', []],
    ])('filters by %s, in JSON and in CSV', async (query, expected) => {
      expect(await ids(`/v1/customers?${query}`)).toEqual(expected)
      expect(await csvIds(`/v1/customers?${query}`)).toEqual(expected)
    })

    it('lists segment, owner and renewal on each row and at the end of each CSV line', async () => {
      const [first] = body<{ data: Array<Record<string, unknown>> }>(await get('/v1/customers?limit=1')).data
      expect(first).toMatchObject({ customerId: 'a1', revenueAtRisk: 8000, segment: 'enterprise', ownerId: 'ann', renewalAt: inDays(10), plan: 'pro' })
      const csv = (await get('/v1/customers?ownerId=bob', 'read', 'text/csv')).body.split('\r\n')
      expect(csv[0]?.endsWith(',segment,ownerId,renewalAt')).toBe(true)
      expect(csv[1]?.startsWith('a2,0.7,high,7000,10000,pro,')).toBe(true)
      expect(csv[1]?.endsWith(`,enterprise,bob,${inDays(45)}`)).toBe(true)
      expect(csv[2]?.endsWith(',smb,bob,')).toBe(true)
    })

    it('pages a filtered list with keyset cursors: every row once, in rank order, with either sort', async () => {
      for (const sort of ['revenueAtRisk', 'probability']) {
        const seen: string[] = []
        let url = `/v1/customers?segment=enterprise,smb&plan=pro,basic&sort=${sort}&limit=2`
        for (let pages = 0; pages < 10; pages++) {
          const page = body<{ data: Array<{ customerId: string }>; nextCursor: string | null }>(await get(url))
          seen.push(...page.data.map((r) => r.customerId))
          if (!page.nextCursor) break
          url = `/v1/customers?segment=smb,enterprise&plan=basic,pro&sort=${sort}&limit=2&cursor=${page.nextCursor}`
        }
        expect(seen).toEqual(['a1', 'a2', 'a3', 'a4', 'a5'])
      }
    })

    it('keeps renewalWithinDays anchored to the first page while the clock moves', async () => {
      const first = body<{ data: Array<{ customerId: string }>; nextCursor: string }>(await get('/v1/customers?renewalWithinDays=30&limit=1'))
      expect(first.data.map((r) => r.customerId)).toEqual(['a1'])
      // 25 days later the window would hold a2 (day 45) instead of a6 (day 20): the walk still answers for T0.
      api.setNow(inDays(25))
      try {
        const next = body<{ data: Array<{ customerId: string }> }>(await get(`/v1/customers?renewalWithinDays=30&limit=1&cursor=${first.nextCursor}`))
        expect(next.data.map((r) => r.customerId)).toEqual(['a6'])
      } finally {
        api.setNow(T0)
      }
    })

    it('refuses a cursor used with other filters', async () => {
      const first = body<{ nextCursor: string }>(await get('/v1/customers?segment=enterprise&limit=1'))
      const response = await get(`/v1/customers?segment=smb&limit=1&cursor=${first.nextCursor}`)
      expect(response.statusCode).toBe(400)
      expect(body(response).errors).toEqual([{ path: 'query.cursor', message: 'does not match the sort and filters of this request' }])
    })

    it.each([
      ['band=urgent', 'query.band.0', 'band must be one of: low, medium, high'],
      ['renewalWithinDays=-1', 'query.renewalWithinDays', 'renewalWithinDays must be an integer from 0 to 730'],
      ['renewalWithinDays=soon', 'query.renewalWithinDays', 'renewalWithinDays must be an integer from 0 to 730'],
      ['renewalWithinDays=731', 'query.renewalWithinDays', 'renewalWithinDays must be an integer from 0 to 730'],
      ['segment=', 'query.segment.0', 'segment must be 1 to 100 comma-separated values of 1-128 characters'],
      [`ownerId=${'x'.repeat(129)}`, 'query.ownerId.0', 'ownerId must be 1 to 100 comma-separated values of 1-128 characters'],
      [`plan=${Array.from({ length: 101 }, (_, i) => `p${i}`).join(',')}`, 'query.plan', 'plan must be 1 to 100 comma-separated values of 1-128 characters'],
    ])('answers %s with a 400 naming the parameter', async (query, path, message) => {
      for (const accept of [undefined, 'text/csv']) {
        const response = await get(`/v1/customers?${query}`, 'read', accept)
        expect(response.statusCode).toBe(400)
        expect(response.headers['content-type']).toContain('application/problem+json')
        expect(body(response).errors).toEqual([{ path, message }])
      }
    })
  })

  describe('GET /v1/alerts and its actions', () => {
    beforeAll(async () => {
      // One alert per customer, newer for later customers: a1 oldest.
      await withTransaction(api.db.pool, (tx) =>
        writeAlerts(
          tx,
          CUSTOMERS.map((c, i) =>
            alertRow(`al-${c.id}`, new Date(Date.parse(T0) - (10 - i) * 60_000).toISOString(), {
              customerId: c.id,
              probability: c.p,
              revenueAtRisk: Math.round(c.p * 10_000),
              ownerId: c.ownerId,
              segment: c.segment,
            }),
          ),
        ),
      )
    })

    const alertIds = async (url: string, scope: 'read' | 'admin' = 'read') =>
      body<{ data: Array<{ alertId: string }> }>(await get(url, scope)).data.map((a) => a.alertId)

    it.each([
      ['customerId=a2,a4', ['al-a4', 'al-a2']],
      ['ownerId=ann', ['al-a5', 'al-a3', 'al-a1']],
      ['segment=smb', ['al-a4', 'al-a3']],
      ['plan=basic', ['al-a5', 'al-a3']],
      ['band=high', ['al-a2', 'al-a1']],
      ['renewalWithinDays=30', ['al-a6', 'al-a1']],
      ['ownerId=bob&band=medium', ['al-a4']],
      ['segment=nobody', []],
    ])('filters by %s', async (query, expected) => {
      expect(await alertIds(`/v1/alerts?${query}`)).toEqual(expected)
    })

    it('pages filtered alerts without losing or repeating one', async () => {
      const seen: string[] = []
      let url = '/v1/alerts?segment=enterprise,smb&limit=2'
      for (let pages = 0; pages < 10; pages++) {
        const page = body<{ data: Array<{ alertId: string }>; nextCursor: string | null }>(await get(url))
        seen.push(...page.data.map((a) => a.alertId))
        if (!page.nextCursor) break
        url = `/v1/alerts?segment=enterprise,smb&limit=2&cursor=${page.nextCursor}`
      }
      expect(seen).toEqual(['al-a5', 'al-a4', 'al-a3', 'al-a2', 'al-a1'])
    })

    it('answers an unknown band or a bad renewalWithinDays with a 400 naming the parameter', async () => {
      const band = await get('/v1/alerts?band=severe')
      expect(band.statusCode).toBe(400)
      expect(body(band).errors).toEqual([{ path: 'query.band.0', message: 'band must be one of: low, medium, high' }])
      const days = await get('/v1/alerts?renewalWithinDays=1.5')
      expect(body(days).errors).toEqual([{ path: 'query.renewalWithinDays', message: 'renewalWithinDays must be an integer from 0 to 730' }])
      const snoozed = await get('/v1/alerts?snoozed=maybe')
      expect(body(snoozed).errors).toEqual([{ path: 'query.snoozed', message: 'snoozed must be exclude, include or only' }])
    })

    it('carries the owner and segment on each alert', async () => {
      const [alert] = body<{ data: Array<Record<string, unknown>> }>(await get('/v1/alerts?customerId=a2')).data
      expect(alert).toMatchObject({ alertId: 'al-a2', ownerId: 'bob', segment: 'enterprise', snoozedUntil: null })
    })

    it('needs alerts:write (or admin) to acknowledge, resolve or snooze', async () => {
      const post = (scope: 'read' | 'events:write' | 'alerts:write' | 'admin', url: string, payload?: object) =>
        api.call(scope, { method: 'POST', url, ...(payload ? { payload } : {}) })
      for (const scope of ['read', 'events:write'] as const) {
        const ack = await post(scope, '/v1/alerts/al-a6/ack')
        expect(ack.statusCode).toBe(403)
        expect(body(ack).detail).toBe(`this operation needs the "alerts:write" scope; the key has: ${scope}`)
        expect((await post(scope, '/v1/alerts/al-a6/resolve')).statusCode).toBe(403)
        expect((await post(scope, '/v1/alerts/al-a6/snooze', { until: inDays(3) })).statusCode).toBe(403)
      }
      const acked = await post('alerts:write', '/v1/alerts/al-a6/ack')
      expect(acked.statusCode).toBe(200)
      expect(body(acked)).toMatchObject({ status: 'acknowledged', acknowledgedAt: T0, ownerId: null })
      const resolved = await post('admin', '/v1/alerts/al-a6/resolve', { resolution: 'called' })
      expect(body(resolved)).toMatchObject({ status: 'resolved', resolution: 'called' })
      const { rows } = await api.db.pool.query<{ scopes: string[] }>("SELECT scopes FROM api_keys WHERE name = 'success-team'")
      expect(rows[0]?.scopes).toEqual(['alerts:write'])
    })

    it('refuses a snooze date in the past or now, naming until', async () => {
      for (const until of [inDays(-1), T0]) {
        const response = await api.call('alerts:write', { method: 'POST', url: '/v1/alerts/al-a5/snooze', payload: { until } })
        expect(response.statusCode).toBe(400)
        expect(body(response).errors).toEqual([{ path: 'body.until', message: 'must be in the future' }])
      }
      const garbage = await api.call('alerts:write', { method: 'POST', url: '/v1/alerts/al-a5/snooze', payload: { until: 'tomorrow' } })
      expect(body(garbage).errors).toEqual([{ path: 'body.until', message: 'must be an ISO-8601 date (2026-03-01) or instant with a zone (2026-03-01T12:00:00Z)' }])
      const resolved = await api.call('alerts:write', { method: 'POST', url: '/v1/alerts/al-a6/snooze', payload: { until: inDays(2) } })
      expect(resolved.statusCode).toBe(409)
    })

    it('hides a snoozed alert from the default list until the date, and lists it with snoozed=include|only', async () => {
      const collector = await collectMessages([api.topics.alerts])
      let snoozed: Awaited<ReturnType<typeof api.call>>
      try {
        snoozed = await api.call('alerts:write', {
          method: 'POST',
          url: '/v1/alerts/al-a4/snooze',
          payload: { until: inDays(7), note: 'on holiday' },
        })
        // Announced on the alerts topic with the owner, like an acknowledgement.
        const events = () => collector.messages.map((m) => JSON.parse(m.value?.toString() ?? '{}') as Record<string, unknown>)
        const event = await waitFor(() => events().find((e) => e.alertId === 'al-a4'), { description: 'the snooze on the alerts topic' })
        expect(event).toMatchObject({ change: 'snoozed', status: 'open', ownerId: 'bob', segment: 'smb' })
      } finally {
        await collector.stop()
      }
      expect(snoozed.statusCode).toBe(200)
      expect(body(snoozed)).toMatchObject({ alertId: 'al-a4', status: 'open', snoozedUntil: inDays(7), snoozeNote: 'on holiday', updatedAt: T0 })
      expect(await alertIds('/v1/alerts?ownerId=bob')).toEqual(['al-a2'])
      expect(await alertIds('/v1/alerts?ownerId=bob&snoozed=only')).toEqual(['al-a4'])
      expect(await alertIds('/v1/alerts?ownerId=bob&snoozed=include')).toEqual(['al-a4', 'al-a2'])
      api.setNow(inDays(7))
      try {
        expect(await alertIds('/v1/alerts?ownerId=bob')).toEqual(['al-a4', 'al-a2'])
      } finally {
        api.setNow(T0)
      }
    })

    it('brings a snoozed alert back early when the risk rises by the update step or the band goes up', async () => {
      // a3 at 0.50 (medium); snoozed at that probability.
      await api.call('alerts:write', { method: 'POST', url: '/v1/alerts/al-a3/snooze', payload: { until: inDays(30) } })
      const rescore = async (p: number) => {
        await withTransaction(api.db.pool, async (tx) => {
          await saveScores(tx, [{ ...scoreRow('a3', p, 10_000, { segment: 'smb', ownerId: 'ann', plan: 'basic', renewalAt: inDays(100) }), material: true }])
          return wakeSnoozedAlerts(tx, ['a3'], new Date(T0), 0.05)
        })
      }
      // 0.54: below 0.50 + 0.05 and still medium: stays snoozed.
      await rescore(0.54)
      expect(await alertIds('/v1/alerts?customerId=a3')).toEqual([])
      // 0.56 >= 0.55: back in the list, snooze cleared.
      await rescore(0.56)
      const [back] = body<{ data: Array<{ alertId: string; snoozedUntil: string | null }> }>(await get('/v1/alerts?customerId=a3')).data
      expect(back).toMatchObject({ alertId: 'al-a3', snoozedUntil: null })

      // Band up with a smaller move: a5 at 0.30 (medium in storage terms of this test: band set by scoreRow).
      await api.call('alerts:write', { method: 'POST', url: '/v1/alerts/al-a5/snooze', payload: { until: inDays(30) } })
      await withTransaction(api.db.pool, async (tx) => {
        // Same probability, higher band (thresholds changed with a new model): comes back.
        await saveScores(tx, [{ ...scoreRow('a5', 0.3, 10_000, { band: 'high', segment: 'enterprise', ownerId: 'ann', plan: 'basic' }), material: true }])
        const woken = await wakeSnoozedAlerts(tx, ['a5'], new Date(T0), 0.05)
        expect(woken.map((a) => a.alertId)).toEqual(['al-a5'])
      })
      expect(await alertIds('/v1/alerts?customerId=a5')).toEqual(['al-a5'])
    })
  })

  describe('webhook routing by owner, segment and revenue at risk', () => {
    let receiver: Server
    let base: string
    const received: Array<{ path: string; alertId: string; ownerId: string | null }> = []

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        let text = ''
        req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
        req.on('end', () => {
          const payload = JSON.parse(text) as { data: { alertId: string; ownerId: string | null } }
          received.push({ path: req.url ?? '', alertId: payload.data.alertId, ownerId: payload.data.ownerId })
          res.writeHead(204).end()
        })
      })
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
      base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      await new Promise((resolve) => receiver.close(resolve))
    })

    it('creates endpoints with filters, shows them, and refuses an empty or negative filter naming the field', async () => {
      const admin = (payload: object) => api.call('admin', { method: 'POST', url: '/v1/webhooks', payload })
      const created = await admin({ url: `${base}/ann`, eventKinds: ['risk_high'], ownerIds: ['ann', 'ann'] })
      expect(created.statusCode).toBe(201)
      expect(body(created)).toMatchObject({ ownerIds: ['ann'], segments: null, minRevenueAtRisk: null })
      await admin({ url: `${base}/smb`, eventKinds: ['*'], segments: ['smb'] })
      await admin({ url: `${base}/big`, eventKinds: ['risk_high'], minRevenueAtRisk: 5000 })
      await admin({ url: `${base}/ann-enterprise-big`, eventKinds: ['risk_high'], ownerIds: ['ann'], segments: ['enterprise'], minRevenueAtRisk: 7500 })
      await admin({ url: `${base}/all`, eventKinds: ['risk_high'] })

      const empty = await admin({ url: `${base}/x`, eventKinds: ['*'], ownerIds: [] })
      expect(empty.statusCode).toBe(400)
      expect(body(empty).errors).toEqual([{ path: 'body.ownerIds', message: 'must name at least one owner (leave it out to receive every owner)' }])
      const negative = await admin({ url: `${base}/x`, eventKinds: ['*'], minRevenueAtRisk: -1 })
      expect(body(negative).errors).toEqual([{ path: 'body.minRevenueAtRisk', message: 'must be a non-negative integer (minor units)' }])
    })

    it('delivers each alert change only to the endpoints whose filters it matches', async () => {
      received.length = 0
      // An alert of a customer with no owner or segment yet, and 9,000 at risk.
      await withTransaction(api.db.pool, (tx) =>
        writeAlerts(tx, [alertRow('al-nobody', T0, { customerId: 'nobody', revenueAtRisk: 9000, ownerId: null, segment: null })]),
      )
      // Acknowledge a1 (ann, enterprise, 8000), a4 (bob, smb, 4000), a2 (bob, enterprise, 7000) and nobody's.
      for (const id of ['al-a1', 'al-a4', 'al-a2', 'al-nobody']) {
        expect((await api.call('alerts:write', { method: 'POST', url: `/v1/alerts/${id}/ack` })).statusCode).toBe(200)
      }
      const dispatcher = createWebhookDispatcher({
        store: createWebhookStore(api.db.pool),
        log: createLogger({ service: 'test', level: 'silent' }),
        allowPrivateNetworks: true,
      })
      await dispatcher.runOnce()
      const byPath = (path: string) => received.filter((r) => r.path === path).map((r) => r.alertId).sort()
      // No owner matches no owner filter, no segment no segment filter; revenue alone still routes it.
      expect(byPath('/ann')).toEqual(['al-a1'])
      expect(byPath('/smb')).toEqual(['al-a4'])
      expect(byPath('/big')).toEqual(['al-a1', 'al-a2', 'al-nobody'])
      expect(byPath('/ann-enterprise-big')).toEqual(['al-a1'])
      expect(byPath('/all')).toEqual(['al-a1', 'al-a2', 'al-a4', 'al-nobody'])
      expect(received).toHaveLength(10)
      expect(received.find((r) => r.alertId === 'al-a4')?.ownerId).toBe('bob')
    })
  })
})
