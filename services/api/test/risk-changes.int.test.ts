import type { RiskChanges } from '@churnwatch/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { body, buildTestApi, saveScoreRows, scoreRow, T0, type TestApi } from './harness.js'

describe('what changed in the risk document', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('risk_changes')
  })
  afterAll(() => api.close())

  const risk = async (id: string) => {
    const response = await api.call('read', { method: 'GET', url: `/v1/customers/${id}/risk` })
    expect(response.statusCode).toBe(200)
    return body<{ probability: number; whatChanged: RiskChanges | null }>(response)
  }

  it('names the drivers that entered, left and moved at the last material change, and keeps them through small rescores', async () => {
    const whatChanged: RiskChanges = {
      previous: { probability: 0.31, band: 'medium', modelVersion: 'gbdt-2026-02-01-abcdef01', asOf: '2026-02-01T12:00:00.000Z' },
      entered: [{ feature: 'failed_payments_90d', value: 2, contribution: 0.3, sentence: '2 failed payments in the last 90 days' }],
      left: [{ feature: 'seat_utilization_30d', value: 0.4, contribution: 0.1, sentence: '40% of seats used in the last 30 days' }],
      moved: [
        { feature: 'days_since_last_activity', oldValue: 3, newValue: 21, oldContribution: 0.1, newContribution: 0.8, sentence: 'No product usage in the last 21 days' },
      ],
    }
    await saveScoreRows(api, [scoreRow('acme', 0.72, 4900, { changes: whatChanged })])
    expect((await risk('acme')).whatChanged).toEqual(whatChanged)
    // A rescore below the material delta refreshes the score but not what changed.
    await saveScoreRows(api, [scoreRow('acme', 0.73, 4900, { asOf: '2026-03-02T12:00:00.000Z' })], false)
    expect(await risk('acme')).toMatchObject({ probability: 0.73, whatChanged })
  })

  it('serves null for a score stored without it', async () => {
    await saveScoreRows(api, [scoreRow('globex', 0.2, 1000, { asOf: T0 })])
    expect((await risk('globex')).whatChanged).toBeNull()
  })
})
