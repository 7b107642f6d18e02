import { createEndpoint, insertModel, withTransaction, writeAlerts } from '@churnwatch/storage'
import { collectMessages, waitFor } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertRow as alert, body, buildTestApi, type TestApi } from './harness.js'


describe('alerts endpoints', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('alerts')
    await withTransaction(api.db.pool, (tx) =>
      writeAlerts(tx, [
        alert('al-1', '2026-03-01T00:00:00.000Z'),
        alert('al-2', '2026-03-02T00:00:00.000Z', { kind: 'payment_failed' }),
        alert('al-3', '2026-03-02T00:00:00.000Z'),
        alert('al-4', '2026-03-03T00:00:00.000Z', { status: 'resolved', resolvedAt: '2026-03-04T00:00:00.000Z', resolution: 'the customer churned' }),
      ]),
    )
  })
  afterAll(() => api.close())

  const list = (query: string) => api.call('read', { method: 'GET', url: `/v1/alerts?${query}` })

  it('lists alerts newest first with stable keyset pages and filters', async () => {
    const ids: string[] = []
    let page = body<{ data: Array<{ alertId: string }>; nextCursor: string | null }>(await list('limit=3'))
    ids.push(...page.data.map((a) => a.alertId))
    while (page.nextCursor) {
      page = body(await list(`limit=3&cursor=${page.nextCursor}`))
      ids.push(...page.data.map((a) => a.alertId))
    }
    expect(ids).toEqual(['al-4', 'al-2', 'al-3', 'al-1'])
    const open = body<{ data: Array<Record<string, unknown>> }>(await list('status=open&kind=risk_high'))
    expect(open.data.map((a) => a.alertId)).toEqual(['al-3', 'al-1'])
    expect(open.data[0]).toMatchObject({ customerId: 'cust-al-3', probability: 0.81, revenueAtRisk: 3969, play: 'Call the account owner this week', acknowledgedAt: null })
    expect(body<{ data: unknown[] }>(await list('since=2026-03-02')).data).toHaveLength(3)
  })

  it.each([
    ['status=closed', 'query.status.0', 'status must be one of: open, acknowledged, resolved'],
    ['kind=churned', 'query.kind.0', 'kind must be one of: risk_high, payment_failed, cancel_requested, usage_drop, renewal_at_risk, churn_rate_spike'],
    ['since=soon', 'query.since', 'must be an ISO-8601 date (2026-03-01) or instant with a zone (2026-03-01T12:00:00Z)'],
    ['limit=5000', 'query.limit', 'limit must be an integer from 1 to 1000'],
  ])('rejects %s', async (query, path, message) => {
    const response = await list(query)
    expect(response.statusCode).toBe(400)
    expect(body(response).errors).toEqual([{ path, message }])
  })

  it('acknowledges once, publishes the change to the alerts topic and webhooks, and is idempotent', async () => {
    await createEndpoint(api.db.pool, { id: 'cs-tool', url: 'http://127.0.0.1:9/hook', secret: `whsec_${Buffer.alloc(32, 3).toString('base64')}`, eventKinds: ['risk_high'] })
    const collector = await collectMessages([api.topics.alerts])
    try {
      api.setNow('2026-03-05T09:00:00.000Z')
      const first = await api.call('admin', { method: 'POST', url: '/v1/alerts/al-1/ack', headers: { 'content-type': 'application/json' } })
      expect(first.statusCode).toBe(200)
      expect(body(first)).toMatchObject({ alertId: 'al-1', status: 'acknowledged', acknowledgedAt: '2026-03-05T09:00:00.000Z', updatedAt: '2026-03-05T09:00:00.000Z' })
      const again = await api.call('admin', { method: 'POST', url: '/v1/alerts/al-1/ack' })
      expect(again.statusCode).toBe(200)
      expect(body(again).status).toBe('acknowledged')

      await waitFor(() => collector.messages.length >= 1, { description: 'alert change on the alerts topic' })
      const event = JSON.parse(collector.messages[0]?.value?.toString() ?? '{}') as Record<string, unknown>
      expect(collector.messages[0]?.key).toBe('cust-al-1')
      expect(event).toMatchObject({ alertId: 'al-1', status: 'acknowledged', change: 'acknowledged', kind: 'risk_high' })
      expect(event.eventId).toMatch(/^ae_[0-9a-f]{32}$/)
      const { rows } = await api.db.pool.query<{ endpoint_id: string; event_type: string }>('SELECT endpoint_id, event_type FROM webhook_outbox')
      expect(rows).toEqual([{ endpoint_id: 'cs-tool', event_type: 'risk_high' }])
      // The repeat changed nothing, so nothing more was announced.
      expect(collector.messages).toHaveLength(1)
    } finally {
      await collector.stop()
    }
  })

  it('resolves with a resolution note, then refuses to acknowledge the resolved alert', async () => {
    const resolved = await api.call('admin', { method: 'POST', url: '/v1/alerts/al-3/resolve', payload: { resolution: 'Renewed for a year' } })
    expect(resolved.statusCode).toBe(200)
    expect(body(resolved)).toMatchObject({ status: 'resolved', resolution: 'Renewed for a year' })
    const withoutNote = await api.call('admin', { method: 'POST', url: '/v1/alerts/al-2/resolve' })
    expect(body(withoutNote)).toMatchObject({ status: 'resolved', resolution: 'resolved manually' })
    const conflict = await api.call('admin', { method: 'POST', url: '/v1/alerts/al-3/ack' })
    expect(conflict.statusCode).toBe(409)
    expect(body(conflict)).toMatchObject({ code: 'CW_API_CONFLICT', detail: 'alert "al-3" is already resolved; it cannot be acknowledged' })
    expect((await api.call('admin', { method: 'POST', url: '/v1/alerts/nope/ack' })).statusCode).toBe(404)
    const tooLong = await api.call('admin', { method: 'POST', url: '/v1/alerts/al-1/resolve', payload: { resolution: 'x'.repeat(501) } })
    expect(tooLong.statusCode).toBe(400)
    expect(body(tooLong).errors).toEqual([{ path: 'body.resolution', message: 'must be 1-500 characters' }])
  })
})

describe('models endpoints', () => {
  let api: TestApi
  const calibration = [
    { lower: 0, upper: 0.5, count: 80, meanPredicted: 0.1, observedRate: 0.09 },
    { lower: 0.5, upper: 1, count: 20, meanPredicted: 0.7, observedRate: 0.72 },
  ]
  beforeAll(async () => {
    api = await buildTestApi('models')
    const base = { kind: 'gbdt', trainedAsOf: '2026-02-01T00:00:00Z', training: { horizonDays: 90 }, artifact: new Uint8Array([1, 2, 3, 4]) }
    await insertModel(api.db.pool, {
      ...base,
      version: 'gbdt-old',
      featureNames: ['tenure_days'],
      metrics: { holdout: { rocAuc: 0.7, prAuc: 0.3, brier: 0.1, topDecileLift: 2.5, calibration } },
    })
    await insertModel(api.db.pool, {
      ...base,
      version: 'gbdt-new',
      featureNames: ['tenure_days', 'days_since_last_activity', 'action_30d:login', 'mystery_feature'],
      metrics: { holdout: { rocAuc: 0.81, prAuc: 0.42, brier: 0.08, topDecileLift: 3.9, calibration } },
    })
  })
  afterAll(() => api.close())

  it('lists versions newest first with headline metrics and never the artifact', async () => {
    const response = await api.call('read', { method: 'GET', url: '/v1/models' })
    expect(response.statusCode).toBe(200)
    const { data } = body<{ data: Array<Record<string, unknown>> }>(response)
    expect(data.map((m) => m.version)).toEqual(['gbdt-new', 'gbdt-old'])
    expect(data[0]).toMatchObject({ kind: 'gbdt', active: false, activatedAt: null, featureCount: 4, holdout: { rocAuc: 0.81, prAuc: 0.42, brier: 0.08, topDecileLift: 3.9 } })
    expect(response.body).not.toContain('artifact')
  })

  it('shows one version with described features, metrics and calibration', async () => {
    const response = await api.call('read', { method: 'GET', url: '/v1/models/gbdt-new' })
    expect(response.statusCode).toBe(200)
    const model = body(response)
    expect(model.features).toEqual([
      { name: 'tenure_days', description: 'days since the subscription first started', unit: 'days' },
      { name: 'days_since_last_activity', description: 'days since the last day with any product usage', unit: 'days' },
      { name: 'action_30d:login', description: "'login' events in the last 30 days", unit: 'events' },
      { name: 'mystery_feature', description: null, unit: null },
    ])
    expect(model.calibration).toEqual(calibration)
    expect(model.training).toEqual({ horizonDays: 90 })
    expect((await api.call('read', { method: 'GET', url: '/v1/models/nope' })).statusCode).toBe(404)
  })

  it('activates a version (admin only) so that exactly one is active', async () => {
    expect((await api.call('read', { method: 'POST', url: '/v1/models/gbdt-old/activate' })).statusCode).toBe(403)
    const first = await api.call('admin', { method: 'POST', url: '/v1/models/gbdt-old/activate' })
    expect(body(first)).toMatchObject({ version: 'gbdt-old', active: true })
    await insertModel(api.db.pool, {
      version: 'gbdt-retrained',
      kind: 'gbdt',
      trainedAsOf: '2026-03-01T00:00:00Z',
      featureNames: ['tenure_days', 'action_30d:login'],
      training: {},
      metrics: {},
      artifact: new Uint8Array([1]),
    })
    const second = await api.call('admin', { method: 'POST', url: '/v1/models/gbdt-retrained/activate' })
    expect(second.statusCode).toBe(200)
    const { data } = body<{ data: Array<{ version: string; active: boolean }> }>(await api.call('read', { method: 'GET', url: '/v1/models' }))
    expect(data.filter((m) => m.active).map((m) => m.version)).toEqual(['gbdt-retrained'])
    expect((await api.call('admin', { method: 'POST', url: '/v1/models/nope/activate' })).statusCode).toBe(404)
  })

  it('refuses with 409 to activate a version that needs features this release does not compute, naming them, and keeps the active one', async () => {
    const before = body<{ data: Array<{ version: string; active: boolean }> }>(await api.call('read', { method: 'GET', url: '/v1/models' }))
    const response = await api.call('admin', { method: 'POST', url: '/v1/models/gbdt-new/activate' })
    expect(response.statusCode).toBe(409)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(body(response)).toMatchObject({ status: 409, title: 'Conflict', detail: expect.stringContaining('mystery_feature') })
    expect(body<{ detail: string }>(response).detail).not.toContain('tenure_days')
    const after = body<{ data: Array<{ version: string; active: boolean }> }>(await api.call('read', { method: 'GET', url: '/v1/models' }))
    expect(after.data.filter((m) => m.active)).toEqual(before.data.filter((m) => m.active))
  })
})
