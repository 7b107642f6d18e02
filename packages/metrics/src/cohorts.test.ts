import { describe, expect, it } from 'vitest'
import { at, FIXTURE, record } from '../test/fixture.js'
import { churnMetrics } from './churn.js'
import { retentionCohorts, retentionReport, type RetentionOptions } from './cohorts.js'

describe('retentionCohorts over the fixture (see test/fixture.ts)', () => {
  const asOf = at('2026-04-01T00:00:00Z')
  const rows = retentionCohorts(FIXTURE, { asOf, cohort: 'month' })

  it.each([
    // C: k=0 Oct; active at Nov 1, Dec 1, Jan 1; ended Jan 31 -> out at Feb 1 and Mar 1;
    // reactivated Mar 10 -> back at Apr 1 (reactivated customers count as retained).
    // MRR: 3000 at each month start it is a customer (back at 3000).
    {
      cohort: '2025-10',
      size: 1,
      retained: [1, 1, 1, 1, 0, 0, 1],
      retainedRate: [1, 1, 1, 1, 0, 0, 1],
      retainedMrr: [3000, 3000, 3000, 3000, 0, 0, 3000],
      retainedMrrRate: [1, 1, 1, 1, 0, 0, 1],
    },
    // A: active (canceling from Feb 10) until its end at Mar 1 00:00, so still in at Mar 1; out at Apr 1.
    // MRR: 5000 at start, Dec 1 and Jan 1; 8000 after the Jan 15 upgrade at Feb 1 and Mar 1:
    // 8000 / 5000 = 1.6, net retention above 1.
    {
      cohort: '2025-11',
      size: 1,
      retained: [1, 1, 1, 1, 1, 0],
      retainedRate: [1, 1, 1, 1, 1, 0],
      retainedMrr: [5000, 5000, 5000, 8000, 8000, 0],
      retainedMrrRate: [1, 1, 1, 1.6, 1.6, 0],
    },
    // B and D: both at Jan 1 and Feb 1; D ended Feb 15 -> B alone at Mar 1 and Apr 1
    // (B's end at Apr 1 00:00 belongs to April, after the instant counted).
    // MRR: B 10000 + D 2000 = 12000 until Feb 1; B alone after its Feb 5 downgrade: 6000 / 12000 = 0.5.
    {
      cohort: '2025-12',
      size: 2,
      retained: [2, 2, 2, 1, 1],
      retainedRate: [1, 1, 1, 0.5, 0.5],
      retainedMrr: [12000, 12000, 12000, 6000, 6000],
      retainedMrrRate: [1, 1, 1, 0.5, 0.5],
    },
    // E and F start in February; E ends Feb 25 -> F alone at Mar 1 and Apr 1.
    // MRR: E 4000 + F 2500 = 6500; F 2500 at Mar 1 (2500 / 6500 = 0.384615...), 3500 at Apr 1 after
    // its Mar 20 upgrade (3500 / 6500 = 0.538461...).
    {
      cohort: '2026-02',
      size: 2,
      retained: [2, 1, 1],
      retainedRate: [1, 0.5, 0.5],
      retainedMrr: [6500, 2500, 3500],
      retainedMrrRate: [1, 0.384615, 0.538462],
    },
  ])('computes cohort $cohort by hand', (row) => {
    expect(rows.find((r) => r.cohort === row.cohort)).toEqual(row)
  })

  it('lists only months with acquisitions, oldest first', () => {
    expect(rows.map((r) => r.cohort)).toEqual(['2025-10', '2025-11', '2025-12', '2026-02'])
  })

  it('agrees with churnMetrics: the cohorts retained at a month start sum to its customersAtStart', () => {
    const months = churnMetrics(FIXTURE, { from: at('2025-11-01T00:00:00Z'), to: asOf, interval: 'month' })
    for (const month of months) {
      const retainedAtStart = rows.reduce((sum, r) => {
        const k = (Number(month.period.slice(0, 4)) - Number(r.cohort.slice(0, 4))) * 12 + Number(month.period.slice(5)) - Number(r.cohort.slice(5))
        return k >= 1 ? sum + (r.retained[k] ?? 0) : sum
      }, 0)
      expect(retainedAtStart, month.period).toBe(month.customersAtStart)
    }
  })

  it('ignores events after asOf and reports months that have started by asOf', () => {
    const mid = retentionCohorts(FIXTURE, { asOf: at('2026-02-20T00:00:00Z'), cohort: 'month' })
    // March has not started: the 2025-12 cohort stops at Feb 1; F and E started by Feb 20.
    expect(mid.find((r) => r.cohort === '2025-12')?.retained).toEqual([2, 2, 2])
    expect(mid.find((r) => r.cohort === '2026-02')).toEqual({ cohort: '2026-02', size: 2, retained: [2], retainedRate: [1], retainedMrr: [6500], retainedMrrRate: [1] })
    // On Jan 31 neither E nor F has started.
    expect(retentionCohorts(FIXTURE, { asOf: at('2026-01-31T00:00:00Z'), cohort: 'month' }).map((r) => r.cohort)).toEqual(['2025-10', '2025-11', '2025-12'])
  })

  it('includes a customer whose first start is exactly at asOf', () => {
    const rows = retentionCohorts(FIXTURE, { asOf: at('2026-02-01T00:00:00Z'), cohort: 'month' })
    expect(rows.find((r) => r.cohort === '2026-02')).toEqual({ cohort: '2026-02', size: 1, retained: [1], retainedRate: [1], retainedMrr: [2500], retainedMrrRate: [1] })
  })

  it('rounds rates to 6 decimals and ignores histories with no start', () => {
    const history = ['p', 'q', 'r'].map((id, i) => ({
      customerId: id,
      billing: [
        record(`${id}1`, '2026-01-05T00:00:00Z', 'subscription_started', { mrr: 100 }),
        ...(i === 0 ? [record(`${id}2`, '2026-01-20T00:00:00Z', 'subscription_ended')] : []),
      ],
    }))
    history.push({ customerId: 's', billing: [record('s1', '2026-01-06T00:00:00Z', 'invoice_paid', { amount: 100 })] })
    expect(retentionCohorts(history, { asOf: at('2026-02-01T00:00:00Z'), cohort: 'month' })).toEqual([
      { cohort: '2026-01', size: 3, retained: [3, 2], retainedRate: [1, 0.666667], retainedMrr: [300, 200], retainedMrrRate: [1, 0.666667] },
    ])
  })

  it('groups cohorts by the plan each customer started on', () => {
    const { cohorts, groups } = retentionReport(FIXTURE, { asOf, cohort: 'month', groupBy: 'plan' })
    expect(cohorts).toEqual(rows)
    // First plans: C starter, A pro, B business, D basic, E team, F basic.
    expect(groups.map((g) => [g.group, g.cohorts.map((c) => c.cohort)])).toEqual([
      ['basic', ['2025-12', '2026-02']],
      ['business', ['2025-12']],
      ['pro', ['2025-11']],
      ['starter', ['2025-10']],
      ['team', ['2026-02']],
    ])
    // D: a customer at Jan 1 and Feb 1 (canceling), gone by Mar 1. F: 2500, then 3500 after Mar 20
    // (3500 / 2500 = 1.4).
    expect(groups[0]?.cohorts).toEqual([
      { cohort: '2025-12', size: 1, retained: [1, 1, 1, 0, 0], retainedRate: [1, 1, 1, 0, 0], retainedMrr: [2000, 2000, 2000, 0, 0], retainedMrrRate: [1, 1, 1, 0, 0] },
      { cohort: '2026-02', size: 1, retained: [1, 1, 1], retainedRate: [1, 1, 1], retainedMrr: [2500, 2500, 3500], retainedMrrRate: [1, 1, 1.4] },
    ])
  })

  it('stops retaining a customer at its cancel with countChurnAt=cancel', () => {
    const cancel = retentionCohorts(FIXTURE, { asOf, cohort: 'month', countChurnAt: 'cancel' })
    // 2025-12: B and D; D canceled Jan 5, so only B at Feb 1 (10000), Mar 1 and Apr 1 (6000 after its downgrade).
    expect(cancel.find((r) => r.cohort === '2025-12')).toMatchObject({ retained: [2, 2, 1, 1, 1], retainedMrr: [12000, 12000, 10000, 6000, 6000] })
    // 2025-11: A canceled Feb 10: out at Mar 1 already.
    expect(cancel.find((r) => r.cohort === '2025-11')?.retained).toEqual([1, 1, 1, 1, 0, 0])
  })

  it('returns no cohorts for no customers', () => {
    expect(retentionCohorts([], { asOf: at('2026-04-01T00:00:00Z'), cohort: 'month' })).toEqual([])
  })

  it.each([
    ['a non-finite asOf', { asOf: Number.POSITIVE_INFINITY, cohort: 'month' }],
    ['an unknown cohort size', { asOf: at('2026-04-01T00:00:00Z'), cohort: 'week' }],
  ] as const)('rejects %s with CW_METRICS_INVALID_OPTIONS', (_name, options) => {
    // The cast stands for an untyped caller passing a cohort we do not know.
    expect(() => retentionCohorts(FIXTURE, options as RetentionOptions)).toThrow(
      expect.objectContaining({ name: 'ChurnwatchError', code: 'CW_METRICS_INVALID_OPTIONS' }),
    )
  })
})
