import { describe, expect, it } from 'vitest'
import { at, FIXTURE, record } from '../test/fixture.js'
import { churnMetrics, type ChurnMetricsOptions, type ChurnPeriod } from './churn.js'
import type { BillingHistory } from './timeline.js'

const Q1 = { from: at('2026-01-01T00:00:00Z'), to: at('2026-04-01T00:00:00Z') }
const split = (voluntary: number, involuntary: number, unknown: number) => ({ voluntary, involuntary, unknown })

describe('churnMetrics by month over the fixture (see test/fixture.ts)', () => {
  // Every figure below is computed by hand from the fixture.
  // The figures churnMetrics reported before ADR 0014; its additions are checked further down.
  const expected: Array<Partial<ChurnPeriod> & { period: string }> = [
    {
      period: '2026-01',
      start: at('2026-01-01T00:00:00Z'),
      end: at('2026-02-01T00:00:00Z'),
      // Active just before Jan 1: A 5000, B 10000, C 3000, D 2000 -> 4 customers, 20000.
      customersAtStart: 4,
      mrrAtStart: 20000,
      newCustomers: 0,
      newMrr: 0,
      reactivations: 0,
      reactivationMrr: 0,
      // A upgrades 5000 -> 8000.
      expansionMrr: 3000,
      contractionMrr: 0,
      // C ends Jan 31 (involuntary) at 3000.
      churned: 1,
      churnedNewInPeriod: 0,
      churnedMrr: 3000,
      customerChurnRate: 0.25, // 1 / 4
      grossMrrChurnRate: 0.15, // (3000 + 0) / 20000
      netMrrChurnRate: 0, // (3000 + 0 - 3000) / 20000
      churnedByKind: split(0, 1, 0),
      churnedMrrByKind: split(0, 3000, 0),
      // C lasted 122 days (Oct 1 -> Jan 31).
      earlyChurn: 0,
      // D cancels (missing_feature); C ends with no cancel before it (payment_failed).
      cancellationReasons: { missing_feature: 1, payment_failed: 1 },
    },
    {
      period: '2026-02',
      start: at('2026-02-01T00:00:00Z'),
      end: at('2026-03-01T00:00:00Z'),
      // Just before Feb 1: A 8000, B 10000, D 2000 (canceling still counts); C ended; F starts at
      // Feb 1 00:00 exactly, so it belongs to February -> 3 customers, 20000.
      customersAtStart: 3,
      mrrAtStart: 20000,
      // F 2500 and E 4000.
      newCustomers: 2,
      newMrr: 6500,
      reactivations: 0,
      reactivationMrr: 0,
      expansionMrr: 0,
      // B downgrades 10000 -> 6000.
      contractionMrr: 4000,
      // D ends (at 2000); E also ends but was not a customer at the start.
      churned: 1,
      churnedNewInPeriod: 1,
      churnedMrr: 2000,
      customerChurnRate: 0.333333, // 1 / 3
      grossMrrChurnRate: 0.3, // (2000 + 4000) / 20000
      netMrrChurnRate: 0.3, // (2000 + 4000 - 0) / 20000
      // D's end has no `voluntary`.
      churnedByKind: split(0, 0, 1),
      churnedMrrByKind: split(0, 0, 2000),
      // D after 57 days (Dec 20 -> Feb 15), E after 22 days (Feb 3 -> Feb 25).
      earlyChurn: 2,
      // A cancels (too_expensive); D's end follows its January cancel so adds nothing; E ends
      // with no cancel and no reason.
      cancellationReasons: { too_expensive: 1, unknown: 1 },
    },
    {
      period: '2026-03',
      start: at('2026-03-01T00:00:00Z'),
      end: at('2026-04-01T00:00:00Z'),
      // Just before Mar 1: A 8000 (its end at Mar 1 00:00 is March's), B 6000, F 2500 -> 3, 16500.
      customersAtStart: 3,
      mrrAtStart: 16500,
      newCustomers: 0,
      newMrr: 0,
      // C comes back at 3000.
      reactivations: 1,
      reactivationMrr: 3000,
      // F upgrades 2500 -> 3500.
      expansionMrr: 1000,
      contractionMrr: 0,
      // A ends (voluntary) at 8000; B's end at Apr 1 is at `to` and ignored.
      churned: 1,
      churnedNewInPeriod: 0,
      churnedMrr: 8000,
      customerChurnRate: 0.333333, // 1 / 3
      grossMrrChurnRate: 0.484848, // 8000 / 16500 = 0.4848484...
      netMrrChurnRate: 0.424242, // (8000 - 1000) / 16500 = 0.4242424...
      churnedByKind: split(1, 0, 0),
      churnedMrrByKind: split(8000, 0, 0),
      // A lasted 120 days (Nov 1 -> Mar 1).
      earlyChurn: 0,
      // A's end follows its February cancel.
      cancellationReasons: {},
    },
  ]
  const rows = churnMetrics(FIXTURE, { ...Q1, interval: 'month' })

  it.each(expected)('computes $period by hand', (row) => {
    expect(rows.find((r) => r.period === row.period)).toMatchObject(row)
  })

  it('returns one row per calendar month from `from` up to `to`', () => {
    expect(rows.map((r) => r.period)).toEqual(['2026-01', '2026-02', '2026-03'])
  })

  it('gives the same rows whatever the order of histories and events', () => {
    const shuffled = [...FIXTURE].reverse().map((h) => ({ ...h, billing: [...h.billing].reverse() }))
    expect(churnMetrics(shuffled, { ...Q1, interval: 'month' })).toEqual(rows)
  })
})

describe('churnMetrics by quarter over the fixture', () => {
  const [q1, ...rest] = churnMetrics(FIXTURE, { ...Q1, interval: 'quarter' })

  it('counts a customer who churns and reactivates in one period as churned and as a reactivation', () => {
    expect(rest).toEqual([])
    expect(q1).toMatchObject({
      period: '2026-Q1',
      start: Q1.from,
      end: Q1.to,
      // Just before Jan 1: A, B, C, D.
      customersAtStart: 4,
      mrrAtStart: 20000,
      // E 4000 + F 2500.
      newCustomers: 2,
      newMrr: 6500,
      // C ended in January and came back in March.
      reactivations: 1,
      reactivationMrr: 3000,
      // A +3000; F's +1000 is not counted: F was not a customer at the quarter's start.
      expansionMrr: 3000,
      // B -4000.
      contractionMrr: 4000,
      // C 3000 (involuntary), D 2000 (unknown), A 8000 (voluntary); E is churnedNewInPeriod.
      churned: 3,
      churnedNewInPeriod: 1,
      churnedMrr: 13000,
      customerChurnRate: 0.75, // 3 / 4
      grossMrrChurnRate: 0.85, // (13000 + 4000) / 20000
      netMrrChurnRate: 0.7, // (13000 + 4000 - 3000) / 20000
      churnedByKind: split(1, 1, 1),
      churnedMrrByKind: split(8000, 3000, 2000),
      // D (57 days) and E (22 days).
      earlyChurn: 2,
      // D and A cancels; C and E ends without a cancel.
      cancellationReasons: { missing_feature: 1, payment_failed: 1, too_expensive: 1, unknown: 1 },
    })
  })
})

describe('churnMetrics periods', () => {
  it.each([
    // from is rounded down to its period; `to` cuts the last period.
    ['month', '2026-01-15T00:00:00Z', '2026-03-15T00:00:00Z', [['2026-01', '2026-01-01', '2026-02-01'], ['2026-02', '2026-02-01', '2026-03-01'], ['2026-03', '2026-03-01', '2026-03-15']]],
    // ISO weeks start on Monday; Thursday 2026-01-01 is in 2026-W01, which starts 2025-12-29.
    ['week', '2026-01-01T00:00:00Z', '2026-01-12T00:00:00Z', [['2026-W01', '2025-12-29', '2026-01-05'], ['2026-W02', '2026-01-05', '2026-01-12']]],
    // 2021-01-03 (Sunday) is in the last ISO week of 2020.
    ['week', '2021-01-03T00:00:00Z', '2021-01-04T00:00:00Z', [['2020-W53', '2020-12-28', '2021-01-04']]],
    ['quarter', '2025-11-30T00:00:00Z', '2026-04-01T00:00:00Z', [['2025-Q4', '2025-10-01', '2026-01-01'], ['2026-Q1', '2026-01-01', '2026-04-01']]],
  ] as const)('splits %s periods from %s to %s in UTC', (interval, from, to, periods) => {
    const rows = churnMetrics([], { from: at(from), to: at(to), interval })
    expect(rows.map((r) => [r.period, r.start, r.end])).toEqual(
      periods.map(([label, start, end]) => [label, at(`${start}T00:00:00Z`), end.length > 10 ? at(end) : at(`${end}T00:00:00Z`)]),
    )
  })

  it('cuts the last period at `to`: later events in that period are ignored', () => {
    const [, , march] = churnMetrics(FIXTURE, { from: Q1.from, to: at('2026-03-15T00:00:00Z'), interval: 'month' })
    // C's reactivation (Mar 10) is in; F's upgrade (Mar 20) is not.
    expect(march).toMatchObject({ end: at('2026-03-15T00:00:00Z'), reactivations: 1, expansionMrr: 0, churned: 1 })
  })

  it('puts an event at a period boundary in the period it starts', () => {
    const [w] = churnMetrics(FIXTURE, { from: at('2026-02-01T00:00:00Z'), to: at('2026-02-02T00:00:00Z'), interval: 'month' })
    // F starts at Feb 1 00:00: a new February customer, not one at February's start.
    expect(w).toMatchObject({ customersAtStart: 3, newCustomers: 1, newMrr: 2500 })
  })

  it('attributes weekly churn to the ISO week of the end', () => {
    const rows = churnMetrics(FIXTURE, { from: at('2026-01-26T00:00:00Z'), to: at('2026-02-02T00:00:00Z'), interval: 'week' })
    // C ends Saturday Jan 31, in the week of Monday Jan 26.
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ period: '2026-W05', customersAtStart: 4, churned: 1, churnedMrr: 3000 })
  })
})

describe('churnMetrics edge cases', () => {
  it('returns empty periods with null rates for no customers', () => {
    const rows = churnMetrics([], { ...Q1, interval: 'month' })
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      expect(row).toMatchObject({ customersAtStart: 0, churned: 0, mrrAtStart: 0, cancellationReasons: {} })
      expect([row.customerChurnRate, row.grossMrrChurnRate, row.netMrrChurnRate]).toEqual([null, null, null])
    }
  })

  it('returns no rows for an empty range', () => {
    expect(churnMetrics(FIXTURE, { from: Q1.from, to: Q1.from, interval: 'month' })).toEqual([])
  })

  it('reports null rates for a period with no customers at its start, and still counts its new customers', () => {
    // October 2025: nobody before C, who starts at Oct 1 00:00.
    const [october] = churnMetrics(FIXTURE, { from: at('2025-10-01T00:00:00Z'), to: at('2025-11-01T00:00:00Z'), interval: 'month' })
    expect(october).toMatchObject({ customersAtStart: 0, newCustomers: 1, newMrr: 3000, customerChurnRate: null, grossMrrChurnRate: null, netMrrChurnRate: null })
  })

  it('reports a negative net MRR churn rate when expansion outweighs losses', () => {
    const history: BillingHistory[] = [
      { customerId: 'x', billing: [record('x1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 1000 }), record('x2', '2026-01-10T00:00:00Z', 'subscription_changed', { mrr: 3000 })] },
      { customerId: 'y', billing: [record('y1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 1000 }), record('y2', '2026-01-20T00:00:00Z', 'subscription_ended', { voluntary: true })] },
    ]
    const [jan] = churnMetrics(history, { from: Q1.from, to: at('2026-02-01T00:00:00Z'), interval: 'month' })
    // gross (1000 + 0) / 2000 = 0.5; net (1000 + 0 - 2000) / 2000 = -0.5
    expect(jan).toMatchObject({ mrrAtStart: 2000, churnedMrr: 1000, expansionMrr: 2000, grossMrrChurnRate: 0.5, netMrrChurnRate: -0.5 })
  })

  it('counts a customer active at start once, with the MRR before its first end, even if it churns twice', () => {
    const history: BillingHistory[] = [
      {
        customerId: 'z',
        billing: [
          record('z1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 1000 }),
          record('z2', '2026-01-05T00:00:00Z', 'subscription_ended', { voluntary: false }),
          record('z3', '2026-01-10T00:00:00Z', 'subscription_reactivated', { mrr: 5000 }),
          record('z4', '2026-01-12T00:00:00Z', 'subscription_changed', { mrr: 9000 }),
          record('z5', '2026-01-20T00:00:00Z', 'subscription_ended', { voluntary: true }),
        ],
      },
    ]
    const [jan] = churnMetrics(history, { from: Q1.from, to: at('2026-02-01T00:00:00Z'), interval: 'month' })
    // The upgrade after the reactivation is not the at-start cohort's expansion.
    expect(jan).toMatchObject({
      churned: 1,
      churnedNewInPeriod: 0,
      churnedMrr: 1000,
      churnedByKind: split(0, 1, 0),
      reactivations: 1,
      reactivationMrr: 5000,
      expansionMrr: 0,
      customerChurnRate: 1,
      earlyChurn: 1, // the second end came 10 days after the reactivation
    })
  })

  it('treats a start after an end as a reactivation and a reactivation with no earlier start as a new customer', () => {
    const history: BillingHistory[] = [
      { customerId: 'r', billing: [record('r1', '2025-06-01T00:00:00Z', 'subscription_started', { mrr: 100 }), record('r2', '2025-07-01T00:00:00Z', 'subscription_ended'), record('r3', '2026-01-03T00:00:00Z', 'subscription_started', { mrr: 700 })] },
      { customerId: 'n', billing: [record('n1', '2026-01-04T00:00:00Z', 'subscription_reactivated', { mrr: 300 })] },
    ]
    const [jan] = churnMetrics(history, { from: Q1.from, to: at('2026-02-01T00:00:00Z'), interval: 'month' })
    expect(jan).toMatchObject({ newCustomers: 1, newMrr: 300, reactivations: 1, reactivationMrr: 700 })
  })

  it('keeps the first of events sharing an eventId and merges histories of the same customer', () => {
    const start = record('d1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 1000 })
    const change = record('d2', '2026-01-10T00:00:00Z', 'subscription_changed', { mrr: 1500 })
    // A re-sent d2 changes nothing (the contract's duplicate rule), even with another payload.
    const resent = { ...change, occurredAt: at('2026-01-11T00:00:00Z'), mrr: 9000 }
    const history: BillingHistory[] = [
      { customerId: 'd', billing: [start, change] },
      { customerId: 'd', billing: [start, resent] },
    ]
    const [jan] = churnMetrics(history, { from: Q1.from, to: at('2026-02-01T00:00:00Z'), interval: 'month' })
    expect(jan).toMatchObject({ customersAtStart: 1, mrrAtStart: 1000, expansionMrr: 500 })
  })

  it('ignores a second cancel while already canceling and ignores changes after the end', () => {
    const history: BillingHistory[] = [
      {
        customerId: 'k',
        billing: [
          record('k1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 1000 }),
          record('k2', '2026-01-02T00:00:00Z', 'subscription_canceled', { reason: 'budget' }),
          record('k3', '2026-01-03T00:00:00Z', 'subscription_canceled', { reason: 'budget' }),
          record('k4', '2026-01-04T00:00:00Z', 'subscription_ended', { reason: 'budget', voluntary: true }),
          record('k5', '2026-01-05T00:00:00Z', 'subscription_changed', { mrr: 50 }),
        ],
      },
    ]
    const [jan] = churnMetrics(history, { from: Q1.from, to: at('2026-02-01T00:00:00Z'), interval: 'month' })
    expect(jan).toMatchObject({ cancellationReasons: { budget: 1 }, contractionMrr: 0, churnedMrr: 1000 })
  })

  it.each([
    ['from after to', { from: Q1.to, to: Q1.from, interval: 'month' }],
    ['a non-finite from', { from: Number.NaN, to: Q1.to, interval: 'month' }],
    ['an unknown interval', { from: Q1.from, to: Q1.to, interval: 'day' }],
  ] as const)('rejects %s with CW_METRICS_INVALID_OPTIONS', (_name, options) => {
    // The cast stands for an untyped caller (a query string) passing an interval we do not know.
    expect(() => churnMetrics(FIXTURE, options as ChurnMetricsOptions)).toThrow(
      expect.objectContaining({ name: 'ChurnwatchError', code: 'CW_METRICS_INVALID_OPTIONS' }),
    )
  })
})
