import { beforeAll, describe, expect, it } from 'vitest'
import { fitGbdtPath } from './gbdt.js'
import { resolveOptions } from './options.js'
import { planFolds, selectModel, type Candidate, type SelectionProgress, type SelectionResult } from './select.js'
import { serializeModel } from './serialize.js'
import { linearChurn, noiseChurn, xorChurn } from './synthetic.fixture.js'
import { useCpuBackend } from './tf-backend.fixture.js'
import { toTrainingSet, type TrainingSet } from './training-set.js'

const LOGISTIC: Candidate = { kind: 'logistic', learningRate: 0.05, l2: 1e-4 }
const GBDT: Candidate = { kind: 'gbdt', learningRate: 0.1, maxDepth: 4, minSamplesLeaf: 50, l2: 1 }

// 12 customers observed on 5 dates (0..4); labels alternate so every part holds both classes.
function panel(dates: number): { set: TrainingSet; times: number[] } {
  const rows: number[][] = []
  const labels: number[] = []
  const groups: string[] = []
  const times: number[] = []
  for (let t = 0; t < dates; t++) {
    for (let c = 0; c < 12; c++) {
      rows.push([c, t])
      labels.push((c + t) % 2)
      groups.push(`customer-${c}`)
      times.push(t)
    }
  }
  return { set: toTrainingSet(['a', 'b'], rows, labels, groups), times }
}

function at(values: ArrayLike<number>, rows: Int32Array): number[] {
  return Array.from(rows, (r) => values[r] as number)
}

describe('validation folds', () => {
  it('validates each time fold from a later date on and fits only on earlier dates, never on the same customer', () => {
    const { set, times } = panel(5)
    const plan = planFolds(set, times, { folds: 3, seed: 1 })
    expect(plan.strategy).toBe('time')
    expect(plan.folds.map((f) => f.validationTime)).toEqual([2, 3, 4])
    const validatedGroups: number[] = []
    for (const fold of plan.folds) {
      const t = fold.validationTime ?? -1
      expect(Math.min(...at(times, fold.validation))).toBe(t)
      expect(Math.max(...at(times, fold.fit))).toBeLessThan(t)
      const fitGroups = new Set(at(set.groups ?? [], fold.fit))
      const validationGroups = at(set.groups ?? [], fold.validation)
      for (const g of validationGroups) expect(fitGroups.has(g)).toBe(false)
      validatedGroups.push(...new Set(validationGroups))
      // 12 customers in 3 parts of 4: 4 validation rows on each date from t to 4; the other 8 customers on each of the t earlier dates.
      expect(fold.validation.length).toBe(4 * (5 - t))
      expect(fold.fit.length).toBe(8 * t)
    }
    // Every customer is validated in exactly one fold.
    expect(validatedGroups.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, g) => g))
  })

  it('falls back to grouped folds over all dates when there are too few dates, still keeping customers apart', () => {
    const { set, times } = panel(3)
    const plan = planFolds(set, times, { folds: 3, seed: 1 })
    expect(plan.strategy).toBe('grouped')
    expect(plan.note).toContain('3 observation dates are too few for 3 time folds (need 4)')
    for (const fold of plan.folds) {
      expect(fold.validationTime).toBeNull()
      expect(fold.fit.length + fold.validation.length).toBe(set.n)
      const fitGroups = new Set(at(set.groups ?? [], fold.fit))
      for (const g of at(set.groups ?? [], fold.validation)) expect(fitGroups.has(g)).toBe(false)
    }
  })

  it('partitions customers by seed, not by row order', () => {
    const { set, times } = panel(5)
    const one = planFolds(set, times, { folds: 3, seed: 1 })
    const again = planFolds(set, times, { folds: 3, seed: 1 })
    const other = planFolds(set, times, { folds: 3, seed: 2 })
    expect(again).toEqual(one)
    expect(other.folds.map((f) => Array.from(f.validation))).not.toEqual(one.folds.map((f) => Array.from(f.validation)))
  })
})

describe('model selection', () => {
  beforeAll(async () => {
    await useCpuBackend()
  })

  it('never keeps fewer than minRounds trees, even on noise where validation loss is best after a few rounds', async () => {
    const { set } = noiseChurn(6000, 5)
    const times = Array.from({ length: set.n }, (_, i) => i % 5)
    const hp = resolveOptions({ kind: 'gbdt', rounds: 300, earlyStoppingRounds: 10, classWeight: 'none' })
    const train = Int32Array.from({ length: 4000 }, (_, i) => i)
    const validation = Int32Array.from({ length: 2000 }, (_, i) => 4000 + i)
    // Without a floor the best round on noise comes early: the floor below has something to do.
    expect(fitGbdtPath(set, train, validation, hp, [1, 1], 1).bestIteration).toBeLessThan(40)
    const floored = fitGbdtPath(set, train, validation, hp, [1, 1], 40)
    expect(floored.bestIteration).toBeGreaterThanOrEqual(40)
    expect(floored.iterations).toBe(floored.bestIteration + 10)

    const result = await selectModel(set, times, { candidates: [GBDT], minRounds: 40, earlyStoppingRounds: 10 })
    for (const fold of result.selection.candidates[0]?.folds ?? []) expect(fold.bestIteration).toBeGreaterThanOrEqual(40)
    expect(result.selection.chosen.rounds).toBeGreaterThanOrEqual(40)
    expect(result.model.kind === 'gbdt' && result.model.trees.length).toBe(result.selection.chosen.rounds)
  })

  it('picks the GBDT where only trees can see the signal (an interaction)', async () => {
    const { set } = xorChurn(9000, 1)
    const times = Array.from({ length: set.n }, (_, i) => i % 6)
    const result = await selectModel(set, times, { candidates: [LOGISTIC, GBDT], seed: 3 })
    const [logistic, gbdt] = result.selection.candidates
    expect(result.selection.strategy).toBe('time')
    expect(result.model.kind).toBe('gbdt')
    expect(result.selection.chosen.name).toBe('gbdt lr=0.1 depth=4 leaf=50 l2=1')
    expect((gbdt?.mean.logLoss ?? 1) + 0.02).toBeLessThan(logistic?.mean.logLoss ?? 0)
    expect(gbdt?.mean.prAuc ?? 0).toBeGreaterThan((logistic?.mean.prAuc ?? 1) + 0.1)
    expect(result.selection.reason).toMatch(/^gbdt lr=0\.1 depth=4 leaf=50 l2=1 \(\d+ rounds\) had the lowest mean validation log loss/)
    expect(result.selection.reason).toContain('runner-up logistic lr=0.05 l2=0.0001')
  })

  describe('on a small linear population', () => {
    const { set } = linearChurn(2400, 11)
    const times = Array.from({ length: set.n }, (_, i) => Math.floor(i / 400))
    const candidates: Candidate[] = [LOGISTIC, GBDT, { kind: 'gbdt', learningRate: 0.3, maxDepth: 6, minSamplesLeaf: 5, l2: 0 }]
    let first: SelectionResult
    const progress: SelectionProgress[] = []

    beforeAll(async () => {
      first = await selectModel(set, times, { candidates, seed: 4, minRounds: 20, onProgress: (p) => progress.push(p) })
    })

    it('picks the candidate with the lowest mean validation log loss and reports ROC AUC, PR AUC and lift for each', () => {
      const { candidates: reports, chosen } = first.selection
      const eligible = reports.filter((r) => !r.pruned)
      const lowest = eligible.reduce((a, b) => (b.mean.logLoss < a.mean.logLoss ? b : a))
      expect(chosen.name).toBe(lowest.name)
      expect(first.model.kind).toBe(lowest.candidate.kind)
      for (const report of reports) {
        expect(report.folds.length).toBe(report.pruned ? 1 : 3)
        for (const fold of report.folds) {
          expect(fold.rocAuc).toBeGreaterThan(0.5)
          expect(fold.prAuc).toBeGreaterThan(0)
          expect(fold.topDecileLift).toBeGreaterThan(1)
        }
        const meanLoss = report.folds.reduce((a, f) => a + f.logLoss, 0) / report.folds.length
        expect(report.mean.logLoss).toBeCloseTo(meanLoss, 12)
      }
      // Folds start validating on the last three of six dates, each after everything it fitted on.
      expect(first.selection.folds.map((f) => f.validationTime)).toEqual([3, 4, 5])
      // The out-of-fold report pools the chosen candidate's validation rows of every fold.
      expect(first.validation.n).toBe(first.selection.folds.reduce((a, f) => a + f.validationRows, 0))
    })

    it('reports progress for every fold fit and the final fit', () => {
      expect(progress.at(-1)).toMatchObject({ candidate: `final ${first.selection.chosen.name}` })
      expect(progress.map((p) => p.done)).toEqual(progress.map((_, i) => i + 1))
      expect(progress.at(-1)?.total).toBe(progress.length)
    })

    it('chooses and trains the same model again from the same seed', async () => {
      const again = await selectModel(set, times, { candidates, seed: 4, minRounds: 20 })
      expect(again.selection).toEqual(first.selection)
      expect(serializeModel(again.model)).toEqual(serializeModel(first.model))
    })

    it('calibrates on customers the final fit never saw', () => {
      const summary = first.model.training
      expect(summary.calibratedOn).toBe('calibration')
      expect(summary.trainRows + summary.calibrationRows).toBe(set.n)
      // 15 % of 2,400 one-row customers.
      expect(summary.calibrationRows).toBe(360)
    })
  })

  it('prunes a clearly worse candidate after the first fold and never chooses it', async () => {
    const { set } = xorChurn(6000, 2)
    const times = Array.from({ length: set.n }, (_, i) => i % 5)
    const stump: Candidate = { kind: 'gbdt', learningRate: 0.01, maxDepth: 1, minSamplesLeaf: 50, l2: 1 }
    const progress: SelectionProgress[] = []
    const result = await selectModel(set, times, { candidates: [GBDT, stump], pruneMargin: 0, maxRounds: 60, minRounds: 20, onProgress: (p) => progress.push(p) })
    const [kept, pruned] = result.selection.candidates
    expect(kept?.pruned).toBe(false)
    expect(pruned?.pruned).toBe(true)
    expect(pruned?.folds).toHaveLength(1)
    expect(result.selection.chosen.name).toBe(kept?.name)
    expect(result.selection.reason).toContain('1 pruned after the first fold')
    // 2 candidates on fold 1, 1 on folds 2 and 3, then the final fit.
    expect(progress.map((p) => p.total)).toEqual([7, 7, 5, 5, 5])
  })
})
