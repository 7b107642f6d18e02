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
      { feature: 'days_since_last_activity', value: 34, contribution: expect.closeTo(1.7, 12), sentence: 'No product usage for 34 days, against 3 typically' },
      { feature: 'cancellation_requested', value: 1, contribution: 1, sentence: 'Cancellation requested; the subscription has not ended yet' },
    ])
  })

  it('falls back to the largest effects by magnitude when nothing raises risk', () => {
    const [drivers] = explain(model([0.1, -0.01, 2]), [[0, 500, 0]])
    expect(drivers).toEqual([
      { feature: 'events_30d', value: 500, contribution: -5, sentence: '500 usage events in the last 30 days, against 140 typically (lowers risk)' },
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

  it('lists a one-hot driver only for a customer in the category', () => {
    // plan=pro is centred on a training mean of 0.5 (std 0.5): off the plan reads (0 - 0.5) / 0.5 = -1.
    const oneHot = (weight: number): LogisticModel => {
      const base = model([0.1, -0.01, weight])
      const featureNames = ['days_since_last_activity', 'events_30d', 'plan=pro']
      return { ...base, featureNames, transforms: featureNames.map((feature, j) => ({ feature, log1p: false, mean: j === 2 ? 0.5 : 0, std: j === 2 ? 0.5 : 1 })) }
    }
    // Off the plan with a negative weight: -1.5 x -1 = +1.5 raises risk, but "Not on the pro plan" is not listed.
    expect(explain(oneHot(-1.5), [[34, 2, 0]])[0]?.map((d) => d.feature)).toEqual(['days_since_last_activity'])
    // Nothing else raises risk: the fallback lists the largest shown effect, not the hidden one.
    expect(explain(oneHot(-1.5), [[0, 500, 0]])[0]?.map((d) => [d.feature, d.sentence])).toEqual([
      ['events_30d', '500 usage events in the last 30 days, against 140 typically (lowers risk)'],
    ])
    // On the plan with a positive weight: 1.5 x (1 - 0.5) / 0.5 = 1.5.
    expect(explain(oneHot(1.5), [[0, 140, 1]])[0]).toEqual([{ feature: 'plan=pro', value: 1, contribution: 1.5, sentence: 'On the pro plan' }])
  })

  it('rejects rows of the wrong width', () => {
    expect(() => explain(model([1, 1, 1]), [[1, 2]])).toThrow(expect.objectContaining({ code: 'CW_MODEL_INVALID_INPUT' }))
  })
})

describe('driverSentence', () => {
  it.each([
    ['events_30d', 2, 140, 1, {}, '2 usage events in the last 30 days, against 140 typically'],
    ['mrr', 4900, 9900, -0.3, {}, 'Monthly recurring revenue is 49.00, against 99.00 typically (lowers risk)'],
    ['mrr_change_90d', -5000, 0, 0.3, {}, 'Monthly recurring revenue fell by 50.00 over the last 90 days'],
    ['activity_trend_30d', -0.8512, 0.05, 0.4, {}, 'Usage fell 85% in the last 30 days against the 30 days before'],
    ['tenure_days', 12.25, 400.5, 0.2, {}, 'Customer for 12 days, against 401 typically'],
    ['failed_payments_90d', 1, 0, 0.5, {}, '1 failed payment in the last 90 days'],
    ['payment_overdue', 1, 0, 0.5, {}, 'The last charge failed and nothing has been paid since'],
    ['action_30d:report_exported', 0, 4.5, 0.2, {}, "0 'report_exported' events in the last 30 days, against 4.5 typically"],
    // The backwards driver ("Usage events expected in 14 days ... 7.9 (typical 5.5) raises risk"):
    // a high baseline matters only against the recent usage it is the baseline of.
    ['baseline_events_14d', 7.9, 5.5, 0.6, { events_14d: 1 }, 'Usual usage is 7.9 events per 14 days; the last 14 days had 1'],
    ['baseline_events_14d', 40, 5.5, 0.6, {}, 'Usual usage is 40 events per 14 days'],
    ['events_14d', 2, 5.5, 0.6, { baseline_events_14d: 40 }, 'Usage in the last 14 days is 2 events, against 40 usually'],
    ['events_14d', 2, 5.5, 0.6, {}, '2 usage events in the last 14 days, against 5.5 typically'],
    ['seat_utilization_30d', 0.75, 0.5, 0.3, { active_users_30d: 3, seats: 4 }, '75% of seats in use in the last 30 days (3 active users for 4 seats)'],
    ['seat_utilization_30d', 0.2, 0.5, 0.3, {}, '20% of seats in use in the last 30 days (against 50% typically)'],
    ['seats_removed_30d', 3, 0, 0.2, { seats: 8 }, '3 seats removed in the last 30 days, 8 held now'],
    ['custom_signal', Number.NaN, 1, 0.2, {}, 'Custom_signal: no value'],
    ['custom_signal', 3, 1, 0.2, {}, 'custom_signal is 3, against 1 typically'],
  ] as const)('describes %s = %s', (feature, value, typical, contribution, row, sentence) => {
    const values: Readonly<Record<string, number>> = row
    expect(driverSentence(feature, value, typical, contribution, { otherValue: (name) => values[name] })).toBe(sentence)
  })

  it('pairs values of the same row in explain: the recent usage with the customer’s own baseline', () => {
    const featureNames = ['events_14d', 'baseline_events_14d']
    const paired: LogisticModel = { ...model([0, 0, 0]), featureNames, typical: Float64Array.from([5, 5.5]), transforms: featureNames.map((feature) => ({ feature, log1p: false, mean: 0, std: 1 })), weights: Float64Array.from([-0.1, 0.1]) }
    const [drivers] = explain(paired, [[2, 40]])
    expect(drivers?.map((d) => d.sentence)).toEqual(['Usual usage is 40 events per 14 days; the last 14 days had 2'])
  })

  it('stays within 200 characters for a long action name', () => {
    const raising = driverSentence(`action_30d:${'x'.repeat(190)}`, 3, 1, 1)
    expect(raising).toHaveLength(200)
    expect(raising).toMatch(/^3 'x{190}' .*\.\.\.$/)
    const lowering = driverSentence(`action_30d:${'x'.repeat(190)}`, 3, 1, -1)
    expect(lowering).toHaveLength(200)
    expect(lowering).toMatch(/\.\.\. \(lowers risk\)$/)
  })
})
