import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScoreRow } from '@churnwatch/storage'
import { waitFor } from '@churnwatch/testkit'
import { body, buildTestApi, saveScoreRows, scoreRow, type TestApi } from './harness.js'

const until = (condition: () => boolean | Promise<boolean>, description: string, timeoutMs = 10_000) =>
  waitFor(condition, { description, intervalMs: 20, timeoutMs })

describe('GET /v1/customers/{id}/risk served from memory, kept fresh by risk_scores notifications', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('risk_cache', {}, { riskCache: true })
    await until(() => api.scoreChanges?.listening === true, 'the score-change feed')
  })
  afterAll(() => api.close())

  /** Writes scores and waits until the app has heard of them, so that a late notification cannot evict what a test reads next. */
  async function saveAndHear(rows: ScoreRow[]): Promise<void> {
    const feed = api.scoreChanges
    if (!feed) throw new Error('this suite builds the app with its score-change feed')
    const pending = new Set(rows.map((r) => r.customerId))
    const unsubscribe = feed.subscribe({
      changed: (ids) => ids.forEach((id) => pending.delete(id)),
      cleared: () => undefined,
      listening: () => undefined,
      lost: () => undefined,
    })
    await saveScoreRows(api, rows)
    await until(() => pending.size === 0, 'the notification of the write').finally(unsubscribe)
  }
  const get = (id: string) => api.call('read', { method: 'GET', url: `/v1/customers/${id}/risk` })
  const probabilityOf = async (id: string) => body<{ probability: number }>(await get(id)).probability
  const documents = async () => (await api.registry.getSingleMetric('churnwatch_api_risk_cache_documents')?.get())?.values[0]?.value ?? 0
  const lookups = async () => {
    const values = (await api.registry.getSingleMetric('churnwatch_api_risk_cache_lookups_total')?.get())?.values ?? []
    const count = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0
    return { hit: count('hit'), miss: count('miss'), off: count('off') }
  }

  it('answers a repeated read from memory with the same document, and the new score once the scorer writes one', async () => {
    await saveAndHear([scoreRow('acme', 0.72, 4900)])
    const before = await lookups()
    const first = await get('acme')
    const second = await get('acme')
    expect(first.statusCode).toBe(200)
    expect(second.statusCode).toBe(200)
    expect(second.headers['content-type']).toBe(first.headers['content-type'])
    expect(second.payload).toBe(first.payload)
    expect(body(first)).toMatchObject({ customerId: 'acme', probability: 0.72, band: 'high', revenueAtRisk: 3528 })
    const after = await lookups()
    expect([after.miss - before.miss, after.hit - before.hit]).toEqual([1, 1])

    await saveScoreRows(api, [scoreRow('acme', 0.2, 4900)])
    await until(async () => (await probabilityOf('acme')) === 0.2, 'the rescored document')
    // revenueAtRisk = round(0.2 × 4900) = 980 cents; the band follows the probability.
    expect(body(await get('acme'))).toMatchObject({ probability: 0.2, band: 'low', revenueAtRisk: 980 })
  })

  it('forgets a deleted score and every score on TRUNCATE', async () => {
    await saveAndHear([scoreRow('gone', 0.5, 1000), scoreRow('kept', 0.5, 1000)])
    expect((await get('gone')).statusCode).toBe(200)
    expect((await get('kept')).statusCode).toBe(200)
    await api.db.pool.query(`DELETE FROM risk_scores WHERE customer_id = 'gone'`)
    await until(async () => (await get('gone')).statusCode === 404, 'the deleted score to go')
    await api.db.pool.query('TRUNCATE risk_scores')
    await until(async () => (await get('kept')).statusCode === 404, 'the truncated scores to go')
  })

  it('reads the database while the feed is lost, so no change can be missed, and caches again once it listens', async () => {
    await saveAndHear([scoreRow('beta', 0.4, 1000)])
    expect(await probabilityOf('beta')).toBe(0.4)
    expect(await probabilityOf('beta')).toBe(0.4)
    await api.db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cw-test-risk_cache-score-changes'`)
    // The harness reconnects after 2 s: this write and the read below fall in the gap, where nobody hears it.
    await until(() => api.scoreChanges?.listening === false, 'the feed to notice the loss')
    await saveScoreRows(api, [scoreRow('beta', 0.9, 1000)])
    const gap = await lookups()
    expect((await api.registry.getSingleMetric('churnwatch_api_risk_cache_enabled')?.get())?.values[0]?.value).toBe(0)
    expect(await probabilityOf('beta')).toBe(0.9)
    expect((await lookups()).off - gap.off).toBe(1)
    await until(() => api.scoreChanges?.listening === true, 'the feed to listen again')
    expect((await api.registry.getSingleMetric('churnwatch_api_risk_cache_enabled')?.get())?.values[0]?.value).toBe(1)
    const before = await lookups()
    expect(await probabilityOf('beta')).toBe(0.9)
    expect(await probabilityOf('beta')).toBe(0.9)
    const after = await lookups()
    expect([after.miss - before.miss, after.hit - before.hit]).toEqual([1, 1])
  })

  it('reads a changed document again if it was read since it was stored, so the next read is a hit with the new score', async () => {
    await saveAndHear([scoreRow('hot', 0.3, 1000), scoreRow('cold', 0.3, 1000)])
    expect(await probabilityOf('hot')).toBe(0.3)
    expect(await probabilityOf('hot')).toBe(0.3) // a hit: read since stored
    expect(await probabilityOf('cold')).toBe(0.3) // a miss that stores it, unread since
    const held = await documents()
    // One statement, one notification: both are forgotten at once, and only `hot` is read again.
    await saveAndHear([scoreRow('hot', 0.65, 1000), scoreRow('cold', 0.65, 1000)])
    await until(async () => (await documents()) === held - 1, 'the refreshed document')
    const before = await lookups()
    // revenueAtRisk = round(0.65 × 1000) = 650; 0.65 is in the high band.
    expect(body(await get('hot'))).toMatchObject({ probability: 0.65, band: 'high', revenueAtRisk: 650 })
    expect((await lookups()).hit - before.hit).toBe(1)
    expect(await probabilityOf('cold')).toBe(0.65)
    expect((await lookups()).miss - before.miss).toBe(1)
  })

  it('still answers 404 problems for unknown customers', async () => {
    const response = await get('nobody-here')
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toContain('application/problem+json')
  })
})
