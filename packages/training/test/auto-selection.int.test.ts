import { backfillLines } from '@churnwatch/ingest'
import { selectModel, toTrainingSet } from '@churnwatch/model'
import { simulateBusiness } from '@churnwatch/simulator'
import { getModel, listModels, migrate } from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPointInTimeSet, holdoutSpreadAcrossSeeds, selectTensorflowBackend, trainAndRegister, type TrainOutcome, type TrainProgress } from '../src/index.js'

describe('training with --model auto', { timeout: 300_000 }, () => {
  const simulation = simulateBusiness({ customers: 400, months: 15, seed: 9, eventsPerActiveUserPerDay: 0.25 })
  const asOf = '2026-03-01T00:00:00Z'
  let db: TestDatabase
  let auto: TrainOutcome
  const progress: TrainProgress[] = []
  beforeAll(async () => {
    db = await createTestDatabase('cw_auto')
    await migrate(db.pool)
    await backfillLines(db.pool, [...simulation.events()].map((e) => JSON.stringify(e)))
    await selectTensorflowBackend()
    auto = await trainAndRegister(db.pool, { asOf, kind: 'auto', onProgress: (p) => progress.push(p) })
  }, 300_000)
  afterAll(() => db.drop())

  it('registers the chosen family with the selection report in its training record', async () => {
    expect(auto.requestedKind).toBe('auto')
    expect(['logistic', 'gbdt']).toContain(auto.kind)
    expect(auto.version).toMatch(new RegExp(`^${auto.kind}-2026-03-01-[0-9a-f]{8}$`))
    const selection = auto.selection
    if (selection === null) throw new Error('expected a selection report')
    expect(selection.chosen.candidate.kind).toBe(auto.kind)
    expect(selection.candidates.map((c) => c.name)).toContain(selection.chosen.name)
    expect(selection.reason).toContain(`${selection.chosen.name} (${selection.chosen.rounds} `)

    const stored = await getModel(db.pool, auto.version)
    expect(stored?.kind).toBe(auto.kind)
    expect(stored?.training).toMatchObject({ requestedKind: 'auto', selection: JSON.parse(JSON.stringify(selection)) as unknown })
    // PR AUC and lift are stored beside ROC AUC.
    expect(stored?.metrics).toMatchObject({
      holdout: { rocAuc: auto.holdout.rocAuc, prAuc: auto.holdout.prAuc, topDecileLift: auto.holdout.topDecileLift },
    })
    expect(auto.holdout.prAuc).toBeGreaterThan(auto.holdout.baseRate ?? 1)
    expect(auto.holdout.rocAuc).toBeGreaterThan(0.6)
    expect((await listModels(db.pool)).map((m) => m.version)).toEqual([auto.version])
  })

  it('selects on validation folds before the holdout: exactly what selection over the pre-holdout rows alone chooses', async () => {
    const selection = auto.selection
    if (selection === null) throw new Error('expected a selection report')
    const stored = await getModel(db.pool, auto.version)
    const holdoutFrom = Date.parse(String((stored?.training as { holdoutFrom: string }).holdoutFrom))
    expect(selection.strategy).toBe('time')
    expect(selection.rows).toBe(auto.trainingRows)
    for (const fold of selection.folds) expect(Date.parse(fold.validationDate ?? '')).toBeLessThan(holdoutFrom)

    // The same set read again, cut before the holdout by hand: the same choice, the same folds.
    const set = await buildPointInTimeSet(db.pool, { asOf, intervalDays: 30, horizonDays: 90 })
    const before = set.examples.filter((e) => e.observedAt < holdoutFrom)
    const direct = await selectModel(
      toTrainingSet(set.featureSet.names, before.map((e) => e.features), before.map((e) => e.label), before.map((e) => e.customerId)),
      before.map((e) => e.observedAt),
      { seed: 1 },
    )
    expect(direct.selection.chosen).toEqual(selection.chosen)
    expect(direct.selection.candidates).toEqual(selection.candidates)
  })

  it('reports selection progress per fold fit, then the final fit', () => {
    const selecting = progress.filter((p) => p.phase === 'selecting' && p.selection !== undefined)
    expect(selecting.length).toBeGreaterThan(3)
    expect(selecting.at(-1)?.selection?.done).toBe(selecting.at(-1)?.selection?.total)
    expect(progress.at(-1)?.phase).toBe('evaluating')
  })

  it('measures the holdout spread across seeds without registering anything', async () => {
    const gbdt = await trainAndRegister(db.pool, { asOf, kind: 'gbdt', seed: 1 })
    const models = (await listModels(db.pool)).length
    const spread = await holdoutSpreadAcrossSeeds(db.pool, { asOf, kind: 'gbdt' }, [1, 2, 3])
    expect((await listModels(db.pool)).length).toBe(models)
    expect(spread.runs.map((r) => r.seed)).toEqual([1, 2, 3])
    // Seed 1 is the model trainAndRegister stored: the same pipeline, the same holdout.
    expect(spread.runs[0]?.rocAuc).toBe(gbdt.holdout.rocAuc)
    expect(spread.runs[0]?.prAuc).toBe(gbdt.holdout.prAuc)
    expect(spread.holdoutRows).toBe(gbdt.holdoutRows)
    const auc = spread.runs.map((r) => r.rocAuc ?? Number.NaN)
    expect(spread.spread.rocAuc).toBe(Math.max(...auc) - Math.min(...auc))
    expect(new Set(auc).size).toBeGreaterThan(1)
  })
})
