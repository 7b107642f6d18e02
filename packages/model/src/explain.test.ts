import { describe, expect, it } from 'vitest'
import { driverSentence, explain } from './explain.js'
import type { LogisticModel } from './model.js'
import { resolveOptions } from './options.js'

// A hand-built logistic model: contributions are weight x (x - mean) / std, so they are known exactly.
function model(weights: number[], slope = 1): LogisticModel {
  const featureNames = ['days_since_last_activity', 'events_30d', 'cancellation_requested']
  return {
    kind: 'logistic',
    featureNames,
    trackedActions: [],
    typical: Float64Array.from([3, 140, 0]),
    calibration: { slope, intercept: 0 },
    training: { rows: 0, positives: 0, trainRows: 0, validationRows: 0, calibrationRows: 0, iterations: 0, bestIteration: 0, calibratedOn: 'validation', refit: null },
    metrics: null,
    hyperparameters: resolveOptions({ kind: 'logistic' }),
    transforms: featureNames.map((feature) => ({ feature, log1p: false, mean: 0, std: 1 })),
    weights: Float64Array.from(weights),
    bias: -2,
  }
}

describe('explain', () => {
  it('lists only risk-raising drivers, largest first, in calibrated log-odds', () => {
    // Contributions: 0.1 * 34 = 3.4, -0.01 * 2 = -0.02, 2 * 1 = 2; Platt slope 0.5 halves them.
    const [drivers] = explain(model([0.1, -0.01, 2], 0.5), [[34, 2, 1]])
    expect(drivers).toEqual([
      { feature: 'days_since_last_activity', value: 34, contribution: expect.closeTo(1.7, 12), sentence: 'Days since the last day with any product usage: 34 (typical 3) raises risk' },
      { feature: 'cancellation_requested', value: 1, contribution: 1, sentence: 'A cancellation is pending (canceled, not yet ended): yes (typical no) raises risk' },
    ])
  })

  it('falls back to the largest effects by magnitude when nothing raises risk', () => {
    const [drivers] = explain(model([0.1, -0.01, 2]), [[0, 500, 0]])
    expect(drivers).toEqual([
      { feature: 'events_30d', value: 500, contribution: -5, sentence: 'Usage events in the last 30 days: 500 (typical 140) lowers risk' },
    ])
  })

  it('keeps at most k drivers per row and reports a missing value as null', () => {
    const rows = Float64Array.from([10, 1, 1, Number.NaN, 0, 1])
    const explanations = explain(model([0.1, -1, 2]), rows, 1)
    expect(explanations.map((d) => d.map((x) => [x.feature, x.value]))).toEqual([[['cancellation_requested', 1]], [['cancellation_requested', 1]]])
    const [, second] = explain(model([0.1, -1, -2]), rows, 3)
    expect(second?.[0]).toMatchObject({ feature: 'cancellation_requested', value: 1, contribution: -2 })
    expect(explain(model([5, 0, 0]), [[Number.NaN, 0, 0]])[0]).toEqual([])
  })

  it('rejects rows of the wrong width', () => {
    expect(() => explain(model([1, 1, 1]), [[1, 2]])).toThrow(expect.objectContaining({ code: 'CW_MODEL_INVALID_INPUT' }))
  })
})

describe('driverSentence', () => {
  it.each([
    ['events_30d', 2, 140, 1, 'Usage events in the last 30 days: 2 (typical 140) raises risk'],
    ['mrr', 4900, 9900, -0.3, 'Monthly recurring revenue: 49.00 (typical 99.00) lowers risk'],
    ['activity_trend_30d', -0.8512, 0.05, 0.4, 'Change in usage events, last 30 days vs the 30 days before: -0.85 (typical 0.05) raises risk'],
    ['tenure_days', 12.25, 400.5, 0.2, 'Days since the subscription first started: 12 (typical 401) raises risk'],
    ['action_30d:report_exported', 0, 4.5, 0.2, "'report_exported' events in the last 30 days: 0 (typical 4.5) raises risk"],
    ['custom_signal', Number.NaN, 1, 0.2, 'Custom_signal: missing (typical 1) raises risk'],
  ])('describes %s', (feature, value, typical, contribution, sentence) => {
    expect(driverSentence(feature, value, typical, contribution)).toBe(sentence)
  })

  it('stays within 200 characters for a long action name', () => {
    const sentence = driverSentence(`action_30d:${'x'.repeat(190)}`, 3, 1, 1)
    expect(sentence.length).toBeLessThanOrEqual(200)
    expect(sentence).toMatch(/\.\.\.: 3 \(typical 1\) raises risk$/)
  })
})
