import type { ChurnEvent } from '@churnwatch/contract'
import { computeFeatures, defineFeatureSet, FEATURE_REGISTRY, historyFromEvents, isActiveAt, sortBilling, type FeatureRegistry } from '@churnwatch/features'
import { backfillLines } from '@churnwatch/ingest'
import { activateModelVersion, loadActiveScorer, readHistoriesForScoring, scoreAllCustomersAt, scoreHistories, type ActiveScorer, type ScoredCustomer } from '@churnwatch/scoring'
import { simulateBusiness } from '@churnwatch/simulator'
import { getModel, listModels, migrate } from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPointInTimeSet, selectTensorflowBackend, trainAndRegister } from '../src/index.js'

describe('training and scoring from stored history', { timeout: 180_000 }, () => {
  const simulation = simulateBusiness({ customers: 400, months: 15, seed: 5, eventsPerActiveUserPerDay: 0.25 })
  const asOf = '2026-03-01T00:00:00Z'
  // One customer with hand-computed lifetime counts: usage long before the 91-day scoring window,
  // inside it, on asOf's own day and after asOf.
  const handEvents = (): ChurnEvent[] => {
    const usage = (n: number, occurredAt: string, action: string): ChurnEvent =>
      ({ eventId: `lt-u${n}`, customerId: 'lifetime-co', occurredAt, kind: 'usage', action, quantity: 1 })
    return [
      { eventId: 'lt-s', customerId: 'lifetime-co', occurredAt: '2025-06-01T00:00:00Z', kind: 'billing', type: 'subscription_started', mrr: 5000, plan: 'pro' },
      ...[1, 2, 3].map((n) => usage(n, '2025-07-10T10:00:00Z', 'login')),
      ...[4, 5].map((n) => usage(n, '2025-08-01T10:00:00Z', 'api_call')),
      ...[6, 7].map((n) => usage(n, '2025-10-05T10:00:00Z', 'login')),
      ...[8, 9, 10, 11].map((n) => usage(n, '2026-02-10T10:00:00Z', 'login')),
      usage(12, asOf, 'login'),
      usage(13, '2026-03-05T10:00:00Z', 'login'),
    ]
  }
  const events: ChurnEvent[] = [...simulation.events(), ...handEvents()]
  let db: TestDatabase
  let logistic: Awaited<ReturnType<typeof trainAndRegister>>
  let gbdt: Awaited<ReturnType<typeof trainAndRegister>>
  // Every test reads the world of this hook (history, two models, GBDT active), never one another test left behind.
  beforeAll(async () => {
    db = await createTestDatabase('cw_train')
    await migrate(db.pool)
    await backfillLines(db.pool, events.map((e) => JSON.stringify(e)))
    await selectTensorflowBackend()
    logistic = await trainAndRegister(db.pool, { asOf, kind: 'logistic' })
    gbdt = await trainAndRegister(db.pool, { asOf, kind: 'gbdt', activate: true })
  }, 300_000)
  afterAll(() => db.drop())

  it('trains logistic and GBDT models on a time-based holdout, stores both with metrics, and activates one', async () => {
    for (const outcome of [logistic, gbdt]) {
      expect(outcome.holdoutRows).toBeGreaterThan(100)
      expect(outcome.trainingRows).toBeGreaterThan(outcome.holdoutRows)
      expect(outcome.holdout.rocAuc).toBeGreaterThan(0.6)
      expect(outcome.bands.high).toBeGreaterThanOrEqual(outcome.bands.rearm)
      expect(outcome.bands.rearm).toBeGreaterThanOrEqual(outcome.bands.medium)
      // The last observation date leaves a full horizon before asOf: labels never look past it.
      expect(Date.parse(outcome.observationDates.at(-1) ?? '')).toBeLessThanOrEqual(Date.parse(asOf) - 90 * 86_400_000)
    }
    const models = await listModels(db.pool)
    expect(models.map((m) => [m.kind, m.active]).sort()).toEqual([
      ['gbdt', true],
      ['logistic', false],
    ])
    const stored = await getModel(db.pool, gbdt.version)
    expect(stored?.metrics).toMatchObject({ holdout: { rocAuc: gbdt.holdout.rocAuc }, bands: gbdt.bands })
    expect(stored?.featureNames).toContain('days_since_last_activity')
  })

  it('scores exactly the customers active at asOf with probabilities, bands, drivers and revenue at risk', async () => {
    const scorer = await loadActiveScorer(db.pool)
    if (!scorer) throw new Error('no active model')
    const all: ScoredCustomer[] = []
    const result = await scoreAllCustomersAt(db.pool, scorer, { asOf, chunkSize: 150, onChunk: (scored) => void all.push(...scored) })

    const ids = [...new Set(events.map((e) => e.customerId))]
    const expectedActive = ids.filter((id) => isActiveAt(sortBilling(historyFromEvents(id, events).billing), Date.parse(asOf)))
    expect(all.map((s) => s.customerId).sort()).toEqual(expectedActive.sort())
    expect(result.scored).toBe(expectedActive.length)
    for (const s of all) {
      expect(s.probability).toBeGreaterThanOrEqual(0)
      expect(s.probability).toBeLessThanOrEqual(1)
      expect(s.revenueAtRisk).toBe(Math.round(s.probability * s.mrr))
      expect(s.band).toBe(s.probability >= scorer.bands.high ? 'high' : s.probability >= scorer.bands.medium ? 'medium' : 'low')
      expect(s.drivers.length).toBeGreaterThan(0)
      expect(s.drivers[0]?.sentence.length).toBeGreaterThan(10)
    }
    // The top decile of scores churns more often within 90 days than the rest (the model ranks).
    const churnedSoon = new Set(
      events
        .filter((e) => e.kind === 'billing' && e.type === 'subscription_ended')
        .filter((e) => Date.parse(e.occurredAt) > Date.parse(asOf) && Date.parse(e.occurredAt) <= Date.parse(asOf) + 90 * 86_400_000)
        .map((e) => e.customerId),
    )
    const ranked = [...all].sort((a, b) => b.probability - a.probability)
    const top = ranked.slice(0, Math.ceil(ranked.length / 10))
    const rest = ranked.slice(top.length)
    const rate = (list: ScoredCustomer[]) => list.filter((s) => churnedSoon.has(s.customerId)).length / list.length
    expect(rate(top)).toBeGreaterThan(rate(rest))
  })

  it('scores every customer once whatever the chunk size and read-ahead, also when the last page is exactly full', async () => {
    const scorer = await loadActiveScorer(db.pool)
    if (!scorer) throw new Error('no active model')
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM customers')
    const customers = rows[0]?.n ?? 0
    const runs: Array<{ chunkSize: number; readAhead: number }> = [
      { chunkSize: 150, readAhead: 1 },
      { chunkSize: customers, readAhead: 3 },
      { chunkSize: Math.floor(customers / 2), readAhead: 2 },
    ]
    const results = []
    for (const run of runs) {
      const ids: string[] = []
      let inactiveSeen = 0
      const result = await scoreAllCustomersAt(db.pool, scorer, {
        asOf,
        ...run,
        onChunk: (scored, inactive) => {
          ids.push(...scored.map((s) => s.customerId))
          inactiveSeen += inactive.length
        },
      })
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids.length + inactiveSeen).toBe(customers)
      expect(result).toEqual({ scored: ids.length, inactive: inactiveSeen })
      results.push(ids.sort())
    }
    expect(results[1]).toEqual(results[0])
    expect(results[2]).toEqual(results[0])
  })

  it('observes exactly the explicit dates it is given, with the same features and labels as the regular grid', async () => {
    const options = { asOf, intervalDays: 30, horizonDays: 90 }
    const regular = await buildPointInTimeSet(db.pool, options)
    const picked = [regular.plan.dates[1] ?? 0, regular.plan.dates.at(-1) ?? 0]
    // Other dates would choose other actions: the explicit set takes the regular set's features.
    const explicit = await buildPointInTimeSet(db.pool, { ...options, dates: [picked[1] ?? 0, picked[0] ?? 0], featureNames: regular.featureSet.names })
    expect(explicit.plan.dates).toEqual(picked)
    const key = (e: { customerId: string; observedAt: number }) => `${e.customerId}|${e.observedAt}`
    const expected = regular.examples.filter((e) => picked.includes(e.observedAt))
    expect(expected.length).toBeGreaterThan(100)
    expect(new Set(explicit.examples.map((e) => e.observedAt))).toEqual(new Set(picked))
    expect([...explicit.examples].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...expected].sort((a, b) => key(a).localeCompare(key(b))))
  })

  it('scores a stored model identically after the code gains a feature, and refuses to activate it once a feature it needs is gone', async () => {
    const trained = await loadActiveScorer(db.pool)
    if (!trained) throw new Error('no active model')
    const scoreAll = async (scorer: ActiveScorer) => {
      const all: ScoredCustomer[] = []
      await scoreAllCustomersAt(db.pool, scorer, { asOf, onChunk: (scored) => void all.push(...scored) })
      return all
    }
    // The next release adds a base feature: new models train on it, the stored one keeps its own list.
    const added: FeatureRegistry = {
      ...FEATURE_REGISTRY,
      base: [
        ...FEATURE_REGISTRY.base,
        {
          name: 'events_3d',
          description: 'whether there was usage in the last 3 days',
          unit: 'flag',
          heavyTailed: false,
          compute: (f) => (f.usage.lastActiveDay !== null && f.today - f.usage.lastActiveDay <= 3 ? 1 : 0),
          sentence: ({ value }) => (value ? 'Used in the last 3 days' : 'No usage in the last 3 days'),
        },
      ],
    }
    expect(defineFeatureSet(['login'], added).names).toContain('events_3d')
    const before = await scoreAll(trained)
    const afterScorer = await loadActiveScorer(db.pool, undefined, added)
    if (!afterScorer) throw new Error('no active model')
    const after = await scoreAll(afterScorer)
    expect(after.length).toBeGreaterThan(100)
    expect(after.every((s) => typeof s.vector.values.events_3d === 'number')).toBe(true)
    const scores = (list: ScoredCustomer[]) => list.map((s) => ({ customerId: s.customerId, probability: s.probability, drivers: s.drivers }))
    expect(scores(after)).toEqual(scores(before))

    // A release that drops a feature the models were trained on: activation refuses, nothing changes.
    const dropped: FeatureRegistry = { ...FEATURE_REGISTRY, base: FEATURE_REGISTRY.base.filter((f) => f.name !== 'days_since_last_activity') }
    const inactive = (await listModels(db.pool)).find((m) => !m.active)
    if (!inactive) throw new Error('expected the logistic model, inactive')
    await expect(activateModelVersion(db.pool, inactive.version, dropped)).rejects.toMatchObject({
      code: 'CW_MODEL_UNSUPPORTED_FEATURES',
      missing: ['days_since_last_activity'],
    })
    expect((await listModels(db.pool)).filter((m) => m.active).map((m) => m.version)).toEqual([trained.version])
    // And a model already active is refused at load, never scored with a made-up value.
    await expect(loadActiveScorer(db.pool, undefined, dropped)).rejects.toMatchObject({ code: 'CW_MODEL_UNSUPPORTED_FEATURES' })
    expect(await activateModelVersion(db.pool, 'no-such-version')).toBeUndefined()
  })
  it('trains on lifetime action features chosen from training rows, and scoring computes them like the hand count', async () => {
    const stored = await getModel(db.pool, gbdt.version)
    if (!stored) throw new Error('no stored model')
    const selection = stored.training.actionSelection as { selected: Array<{ action: string; reason: string }>; tallied: { customers: number } }
    const tracked = selection.selected.map((s) => s.action)
    expect(stored.training.trackedActions).toEqual(tracked)
    expect(tracked).toEqual(expect.arrayContaining(['login', 'api_call', 'dashboard_viewed', 'report_exported']))
    expect(stored.featureNames).toEqual(
      expect.arrayContaining(['events_per_month_lifetime', 'actions_used_lifetime', 'action_lifetime:login', 'action_per_month:login', 'action_lifetime:api_call', 'action_per_month:api_call']),
    )
    // Tallied once per customer at its last training observation, never more customers than were read.
    expect(selection.tallied.customers).toBeLessThanOrEqual(gbdt.customers)

    // lifetime-co at asOf: 9 logins (3 + 2 long before the 91-day window, 4 inside it; the one at asOf and the
    // one after are not counted) and 2 API calls; tenure 2025-06-01 to 2026-03-01 = 273 days = 8.9692 months.
    const expected = {
      'action_30d:login': 4,
      'action_lifetime:login': 9,
      'action_per_month:login': 1.0034, // 9 / 8.9692
      'action_lifetime:api_call': 2,
      'action_per_month:api_call': 0.223, // 2 / 8.9692
      events_per_month_lifetime: 1.2264, // 11 / 8.9692
      actions_used_lifetime: 2,
    }
    const scorer = await loadActiveScorer(db.pool)
    if (!scorer) throw new Error('no active model')
    // What `churnwatch score` runs: every customer, windowed reads in chunks.
    const all: ScoredCustomer[] = []
    await scoreAllCustomersAt(db.pool, scorer, { asOf, chunkSize: 100, onChunk: (scored) => void all.push(...scored) })
    const fromCli = all.find((s) => s.customerId === 'lifetime-co')
    expect(fromCli?.vector.values).toMatchObject(expected)
    // What the scorer service runs for a changed customer.
    const { scored } = scoreHistories(scorer, await readHistoriesForScoring(db.pool, ['lifetime-co'], asOf), asOf)
    expect(scored[0]?.vector.values).toMatchObject(expected)
    expect(scored[0]?.probability).toBe(fromCli?.probability)
    // And the same values as training computes from the whole history.
    const full = computeFeatures({ ...historyFromEvents('lifetime-co', handEvents()) }, asOf, scorer.featureSet)
    expect(full.values).toMatchObject(expected)
  })
})
