import { alertChangeEvent, type Driver, type RiskChanges } from '@churnwatch/contract'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAlert, migrate, readCurrentScores, saveScores, withTransaction, writeAlerts, type ScoreRow } from '../src/index.js'

const driver = (feature: string, value: number, contribution: number): Driver => ({ feature, value, contribution, sentence: `${feature} ${value}` })

const score = (probability: number, asOf: string, drivers: Driver[], changes?: RiskChanges): ScoreRow => ({
  customerId: 'acme',
  probability,
  band: probability >= 0.5 ? 'high' : 'medium',
  drivers,
  features: {},
  plan: 'pro',
  mrr: 10_000,
  revenueAtRisk: Math.round(probability * 10_000),
  modelVersion: 'v1',
  asOf,
  scoredAt: asOf,
  ...(changes ? { changes } : {}),
})

describe('what changed and alert details against real PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('cw_risk_changes')
    await migrate(db.pool)
  })
  afterAll(() => db.drop())

  it('keeps the last material score\'s drivers, asOf and changes through non-material rescores', async () => {
    const first = [driver('events_30d', 40, 0.1)]
    const changes: RiskChanges = { previous: null, entered: first, left: [], moved: [] }
    await withTransaction(db.pool, (tx) => saveScores(tx, [{ ...score(0.3, '2026-03-01T00:00:00.000Z', first, changes), material: true }]))
    const later = [driver('events_30d', 38, 0.12)]
    await withTransaction(db.pool, (tx) => saveScores(tx, [{ ...score(0.31, '2026-03-02T00:00:00.000Z', later), material: false }]))
    const stored = (await readCurrentScores(db.pool, ['acme'])).get('acme')
    expect(stored).toMatchObject({
      probability: 0.31,
      drivers: later,
      publishedProbability: 0.3,
      publishedDrivers: first,
      publishedAsOf: '2026-03-01T00:00:00.000Z',
      changes,
    })
    const { rows } = await db.pool.query<{ changes: unknown }>('SELECT changes FROM risk_score_history WHERE customer_id = $1', ['acme'])
    expect(rows).toEqual([{ changes }])
  })

  it('stores an alert\'s kind-specific details and carries them on its event', async () => {
    const details = { renewalAt: '2026-04-01T00:00:00.000Z', mrrAtStake: 120_000 }
    const alert = {
      alertId: 'al_1',
      customerId: 'acme',
      kind: 'renewal_at_risk' as const,
      status: 'open' as const,
      probability: 0.3,
      revenueAtRisk: 3_000,
      drivers: [],
      play: 'renewal_call',
      createdAt: '2026-03-02T00:00:00.000Z',
      updatedAt: '2026-03-02T00:00:00.000Z',
      acknowledgedAt: null,
      resolvedAt: null,
      resolution: null,
      details,
    }
    await withTransaction(db.pool, (tx) => writeAlerts(tx, [alert]))
    const stored = await getAlert(db.pool, 'al_1')
    expect(stored?.details).toEqual(details)
    expect(alertChangeEvent(stored ?? alert, 'opened')).toMatchObject(details)
  })
})
