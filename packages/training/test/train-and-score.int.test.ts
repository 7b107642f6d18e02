import type { ChurnEvent } from '@churnwatch/contract'
import { defineFeatureSet, FEATURE_REGISTRY, historyFromEvents, isActiveAt, sortBilling, type FeatureRegistry } from '@churnwatch/features'
import { backfillLines } from '@churnwatch/ingest'
import { activateModelVersion, loadActiveScorer, scoreAllCustomersAt, type ActiveScorer, type ScoredCustomer } from '@churnwatch/scoring'
import { simulateBusiness } from '@churnwatch/simulator'
import { getModel, listModels, migrate } from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPointInTimeSet, selectTensorflowBackend, trainAndRegister } from '../src/index.js'

describe('training and scoring from stored history', { timeout: 180_000 }, () => {
  const simulation = simulateBusiness({ customers: 400, months: 15, seed: 5, eventsPerActiveUserPerDay: 0.25 })
  const events: ChurnEvent[] = [...simulation.events()]
  const asOf = '2026-03-01T00:00:00Z'
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
    const options = { asOf, intervalDays: 30, horizonDays: 90, trackedActionCount: 6 }
    const regular = await buildPointInTimeSet(db.pool, options)
    const picked = [regular.plan.dates[1] ?? 0, regular.plan.dates.at(-1) ?? 0]
    const explicit = await buildPointInTimeSet(db.pool, { ...options, dates: [picked[1] ?? 0, picked[0] ?? 0] })
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
})
