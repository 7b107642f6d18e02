import { describe, expect, it } from 'vitest'
import { averagePrecision, brierScore, calibrationTable, evaluate, logLoss, rocAuc, topDecile } from './evaluate.js'

// Five rows with a tie between a churner and a non-churner at 0.4.
const labels = Uint8Array.from([0, 0, 1, 1, 1])
const probs = Float64Array.from([0.1, 0.4, 0.35, 0.8, 0.4])

describe('ranking metrics', () => {
  it('computes ROC AUC with tied scores sharing their average rank', () => {
    // Ascending ranks: 0.1 -> 1, 0.35 -> 2, 0.4 and 0.4 -> 3.5 each, 0.8 -> 5.
    // Positive rank sum 2 + 3.5 + 5 = 10.5; minus 3*4/2 = 6 -> 4.5 of 3*2 = 6 pairs -> 0.75.
    // (Pairwise: 0.35 beats 0.1 only, 0.8 beats both, 0.4 beats 0.1 and ties 0.4 -> 1 + 2 + 1.5.)
    expect(rocAuc(labels, probs)).toBeCloseTo(0.75, 12)
  })

  it('computes average precision over distinct thresholds', () => {
    // Descending: 0.8 (1) -> P 1, R 1/3; the 0.4 tie (1, 0) -> P 2/3, R 2/3; 0.35 (1) -> P 3/4, R 1; 0.1 adds no recall.
    // AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/4 = 12/36 + 8/36 + 9/36 = 29/36.
    expect(averagePrecision(labels, probs)).toBeCloseTo(29 / 36, 12)
  })

  it('gives 1 for a perfect ranking and 0.5 for all-equal scores', () => {
    expect(rocAuc([0, 0, 1], [0.1, 0.2, 0.3])).toBe(1)
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5)
    // All tied: one threshold, precision 2/4 at recall 1.
    expect(averagePrecision([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5)
  })

  it('returns null for AUCs when a class is missing', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNull()
    expect(rocAuc([0, 0], [0.2, 0.3])).toBeNull()
    expect(averagePrecision([0, 0], [0.2, 0.3])).toBeNull()
  })
})

describe('probability metrics', () => {
  it('computes the Brier score', () => {
    // (0.1)^2 + (0.4)^2 + (0.65)^2 + (0.2)^2 + (0.6)^2 = 0.01 + 0.16 + 0.4225 + 0.04 + 0.36 = 0.9925; / 5 = 0.1985.
    expect(brierScore(labels, probs)).toBeCloseTo(0.1985, 12)
  })

  it('computes log loss', () => {
    // -(ln 0.9 + ln 0.6 + ln 0.35 + ln 0.8 + ln 0.4) / 5
    // = (0.1053605 + 0.5108256 + 1.0498221 + 0.2231436 + 0.9162907) / 5 = 2.8054425 / 5 = 0.5610885.
    expect(logLoss(labels, probs)).toBeCloseTo(0.5610885, 6)
  })

  it('clips probabilities to 1e-15 so a confident miss costs ln(1e15), not infinity', () => {
    // -ln(1e-15) = 15 ln 10 = 34.5387764.
    expect(logLoss([1, 0], [0, 1])).toBeCloseTo(34.5387764, 6)
  })
})

describe('topDecile', () => {
  it('takes every row tied with the ceil(n/10)-th highest score', () => {
    // 20 rows, 4 churners (base rate 0.2). ceil(20/10) = 2nd highest score = 0.9, tied by a third row:
    // the decile is {0.95: 1, 0.9: 0, 0.9: 1} -> precision 2/3, lift (2/3) / 0.2 = 10/3.
    const scores = [0.95, 0.9, 0.9, ...Array.from({ length: 17 }, (_, i) => 0.5 - i * 0.01)]
    const churned = [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    expect(topDecile(churned, scores)).toEqual({ threshold: 0.9, count: 3, precision: 2 / 3, lift: expect.closeTo(10 / 3, 12) })
  })

  it('uses the highest score when there are fewer than 10 rows', () => {
    // ceil(5/10) = 1 -> threshold 0.8, one churner of one -> precision 1, base rate 3/5 -> lift 5/3.
    expect(topDecile(labels, probs)).toEqual({ threshold: 0.8, count: 1, precision: 1, lift: expect.closeTo(5 / 3, 12) })
  })
})

describe('calibrationTable', () => {
  it('bins probabilities into ten equal-width bins, 1.0 falling in the last', () => {
    const table = calibrationTable([0, 1, 0, 1, 1], [0.05, 0.15, 0.12, 0.95, 1])
    expect(table).toHaveLength(10)
    expect(table[0]).toEqual({ lower: 0, upper: 0.1, count: 1, meanPredicted: 0.05, observedRate: 0 })
    // (0.15 + 0.12) / 2 = 0.135; one of two churned.
    expect(table[1]).toMatchObject({ count: 2, meanPredicted: expect.closeTo(0.135, 12), observedRate: 0.5 })
    expect(table[5]).toMatchObject({ count: 0, meanPredicted: null, observedRate: null })
    expect(table[9]).toMatchObject({ lower: 0.9, upper: 1, count: 2, meanPredicted: 0.975, observedRate: 1 })
  })
})

describe('evaluate', () => {
  it('reports every metric at once', () => {
    const report = evaluate(labels, probs)
    expect(report).toMatchObject({
      n: 5,
      positives: 3,
      baseRate: 0.6,
      rocAuc: expect.closeTo(0.75, 12),
      prAuc: expect.closeTo(29 / 36, 12),
      brier: expect.closeTo(0.1985, 12),
      logLoss: expect.closeTo(0.5610885, 6),
      topDecileThreshold: 0.8,
      topDecilePrecision: 1,
      topDecileLift: expect.closeTo(5 / 3, 12),
    })
    expect(report.calibration).toHaveLength(10)
  })

  it('reports nulls for an empty holdout instead of NaN', () => {
    expect(evaluate([], [])).toMatchObject({ n: 0, baseRate: null, rocAuc: null, brier: null, logLoss: null, topDecileLift: null })
  })

  it('rejects labels and probabilities of different lengths or non-binary labels', () => {
    expect(() => evaluate([0, 1], [0.5])).toThrow(expect.objectContaining({ code: 'CW_MODEL_INVALID_INPUT' }))
    expect(() => evaluate([0, 2], [0.5, 0.5])).toThrow(/not 0 or 1/)
  })
})
