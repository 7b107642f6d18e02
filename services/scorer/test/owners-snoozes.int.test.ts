import type { AlertEvent } from '@churnwatch/contract'
import { backfillLines } from '@churnwatch/ingest'
import { Counter, createLogger, createMetricsRegistry } from '@churnwatch/observability'
import { loadActiveScorer, type ActiveScorer } from '@churnwatch/scoring'
import { activateModel, insertModel, migrate, snoozeAlert, withTransaction } from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createScoreCustomers } from '../src/handlers/score-customers.js'
import { loadPlayBook } from '../src/playbook.js'

// Issue 13 (ADR 0015): scores carry segment, owner and next renewal as of asOf; alerts carry the
// owner and segment and follow a reassignment; a snoozed alert comes back when the risk rises further.

// A one-feature logistic model: P = sigmoid(-3 + 0.001 x mrr), so MRR sets the probability exactly.
//   mrr 1000 -> sigmoid(-2)   = 0.1192 (low)
//   mrr 3600 -> sigmoid(0.6)  = 0.6457 (high: risk_high opens; default bands high 0.5)
//   mrr 3620 -> sigmoid(0.62) = 0.6502 (+0.0045: below the 0.05 step)
//   mrr 3900 -> sigmoid(0.9)  = 0.7109 (>= 0.6457 + 0.05: the snooze ends)
const ARTIFACT = JSON.stringify({
  format: 'churnwatch-model',
  formatVersion: 1,
  kind: 'logistic',
  featureNames: ['mrr'],
  trackedActions: [],
  typical: [1000],
  calibration: { method: 'platt', slope: 1, intercept: 0 },
  hyperparameters: { kind: 'logistic', seed: 1, validationFraction: 0.2, calibrationFraction: 0.15, refit: true, classWeight: 'balanced', learningRate: 0.05, epochs: 400, l2: 0.0001, evalEvery: 10, patience: 5 },
  training: { rows: 1, positives: 0, trainRows: 1, validationRows: 0, calibrationRows: 0, iterations: 1, bestIteration: 1, calibratedOn: 'validation', refit: null },
  metrics: null,
  params: { transforms: [{ feature: 'mrr', log1p: false, mean: 0, std: 1 }], weights: [0.001], bias: -3 },
})
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

describe('owners, segments, renewals and snoozes in the scorer', () => {
  let db: TestDatabase
  let scorer: ActiveScorer
  const registry = createMetricsRegistry({ service: 'scorer', defaultMetrics: false })
  let score: ReturnType<typeof createScoreCustomers>

  const billing = (eventId: string, occurredAt: string, fields: Record<string, unknown>) =>
    JSON.stringify({ eventId, customerId: 'hot', occurredAt, kind: 'billing', currency: 'USD', plan: 'pro', ...fields })
  const account = (eventId: string, customerId: string, occurredAt: string, fields: Record<string, unknown>) =>
    JSON.stringify({ eventId, customerId, occurredAt, kind: 'account', ...fields })

  beforeAll(async () => {
    db = await createTestDatabase('cw_scorer_owners')
    await migrate(db.pool)
    await insertModel(db.pool, {
      version: 'mrr-logistic',
      kind: 'logistic',
      trainedAsOf: '2026-01-01T00:00:00.000Z',
      featureNames: ['mrr'],
      training: {},
      metrics: {},
      artifact: new TextEncoder().encode(ARTIFACT),
    })
    await activateModel(db.pool, 'mrr-logistic')
    const loaded = await loadActiveScorer(db.pool)
    if (!loaded) throw new Error('no active model')
    scorer = loaded
    await backfillLines(db.pool, [
      billing('b1', '2026-01-01T00:00:00Z', { type: 'subscription_started', mrr: 3600, interval: 'month', currentPeriodEnd: '2026-03-01T00:00:00Z' }),
      account('a1', 'hot', '2026-01-02T00:00:00Z', { segment: 'enterprise', ownerId: 'ann' }),
      JSON.stringify({ eventId: 'q1', customerId: 'quiet', occurredAt: '2026-01-01T00:00:00Z', kind: 'billing', type: 'subscription_started', mrr: 1000, currency: 'USD', plan: 'basic' }),
      account('a2', 'quiet', '2026-01-02T00:00:00Z', { segment: 'smb', ownerId: 'bob' }),
      // After the first asOf: not visible to it.
      account('a3', 'quiet', '2026-02-10T00:00:00Z', { segment: 'enterprise' }),
    ])
    score = createScoreCustomers({
      pool: db.pool,
      topics: { riskScores: 'test.risk-scores', alerts: 'test.alerts' },
      log: createLogger({ service: 'scorer-test', level: 'silent' }),
      materialDelta: 0.05,
      plays: loadPlayBook(),
      counters: {
        scored: new Counter({ name: 'scored', help: 'h', labelNames: ['band'] as const, registers: [registry] }),
        published: new Counter({ name: 'published', help: 'h', registers: [registry] }),
        alerts: new Counter({ name: 'alerts', help: 'h', labelNames: ['kind', 'change'] as const, registers: [registry] }),
      },
    })
  })
  afterAll(async () => {
    await db.drop()
  })

  const alertEvents = async () =>
    (await db.pool.query<{ value: AlertEvent }>("SELECT value FROM kafka_outbox WHERE topic = 'test.alerts' ORDER BY id")).rows.map((r) => r.value)
  const hotAlert = async () =>
    (
      await db.pool.query<{ alert_id: string; owner_id: string | null; segment: string | null; snoozed_until: Date | null }>(
        "SELECT alert_id, owner_id, segment, snoozed_until FROM alerts WHERE customer_id = 'hot' AND kind = 'risk_high'",
      )
    ).rows[0]

  it('stores segment, owner and the next renewal as of asOf with each score', async () => {
    await score(scorer, ['hot', 'quiet'], '2026-02-01T00:00:00.000Z')
    const { rows } = await db.pool.query<{ customer_id: string; probability: number; band: string; segment: string; owner_id: string; renewal_at: Date | null }>(
      'SELECT customer_id, probability, band, segment, owner_id, renewal_at FROM risk_scores ORDER BY customer_id',
    )
    expect(rows.map(({ renewal_at, ...r }) => ({ ...r, renewal_at: renewal_at?.toISOString() ?? null }))).toEqual([
      // The period end the start event sent is the next renewal.
      { customer_id: 'hot', probability: expect.closeTo(sigmoid(0.6), 9), band: 'high', segment: 'enterprise', owner_id: 'ann', renewal_at: '2026-03-01T00:00:00.000Z' },
      // The segment change of 10 February is after asOf: still smb. No terms sent, no invoice paid: renewal unknown.
      { customer_id: 'quiet', probability: expect.closeTo(sigmoid(-2), 9), band: 'low', segment: 'smb', owner_id: 'bob', renewal_at: null },
    ])
  })

  it('opens alerts carrying the owner and segment, in the stored row and the published event', async () => {
    expect(await hotAlert()).toMatchObject({ owner_id: 'ann', segment: 'enterprise' })
    const events = await alertEvents()
    expect(events.map((e) => [e.customerId, e.kind, e.change, e.ownerId, e.segment])).toEqual([['hot', 'risk_high', 'opened', 'ann', 'enterprise']])
  })

  it('moves a live alert to the new owner when the account is reassigned', async () => {
    await backfillLines(db.pool, [account('a4', 'hot', '2026-02-02T00:00:00Z', { ownerId: 'cid' })])
    await score(scorer, ['hot'], '2026-02-03T00:00:00.000Z')
    expect(await hotAlert()).toMatchObject({ owner_id: 'cid', segment: 'enterprise' })
  })

  it('keeps a snoozed alert snoozed for a small rise and wakes it when the risk rises by the update step', async () => {
    const alert = await hotAlert()
    if (!alert) throw new Error('no risk_high alert')
    await withTransaction(db.pool, (tx) => snoozeAlert(tx, alert.alert_id, { at: new Date(), until: '2099-01-01T00:00:00.000Z', note: 'after QBR' }))
    const before = (await alertEvents()).length

    await backfillLines(db.pool, [billing('b2', '2026-02-04T00:00:00Z', { type: 'subscription_changed', mrr: 3620 })])
    await score(scorer, ['hot'], '2026-02-05T00:00:00.000Z')
    expect((await hotAlert())?.snoozed_until?.toISOString()).toBe('2099-01-01T00:00:00.000Z')
    expect(await alertEvents()).toHaveLength(before)

    await backfillLines(db.pool, [billing('b3', '2026-02-06T00:00:00Z', { type: 'subscription_changed', mrr: 3900 })])
    await score(scorer, ['hot'], '2026-02-07T00:00:00.000Z')
    expect((await hotAlert())?.snoozed_until).toBeNull()
    const after = (await alertEvents()).slice(before)
    // risk_high's own update (0.7109 - 0.6457 >= 0.05) and the end of the snooze, both to the current owner.
    expect(after.map((e) => [e.change, e.ownerId, e.probability])).toContainEqual(['updated', 'cid', expect.closeTo(sigmoid(0.9), 9)])
    expect(after.every((e) => e.alertId === alert.alert_id)).toBe(true)
  })
})
