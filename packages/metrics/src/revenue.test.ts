import { describe, expect, it } from 'vitest'
import type { AccountRecord } from '@churnwatch/features'
import { at, FIXTURE, record } from '../test/fixture.js'
import { churnMetrics, churnReport, type ChurnMetricsOptions, type ChurnPeriod } from './churn.js'
import type { BillingHistory } from './timeline.js'

// ADR 0014's figures over the fixture (test/fixture.ts), every one computed by hand in its comment.
const Q1 = { from: at('2026-01-01T00:00:00Z'), to: at('2026-04-01T00:00:00Z') }
const none = { days0to7: 0, days8to30: 0, days31to90: 0 }

describe('revenue figures by month over the fixture', () => {
  const rows = churnMetrics(FIXTURE, { ...Q1, interval: 'month', grossMargin: 0.8 })
  const expected: Array<Partial<ChurnPeriod> & { period: string }> = [
    {
      period: '2026-01',
      // Just before Feb 1: A 8000, B 10000, D 2000 (canceling) -> 3 customers, 20000.
      customersAtEnd: 3,
      mrrAtEnd: 20000,
      arpa: 5000, // 20000 / 4
      monthlyCustomerChurnRate: 0.25, // a whole month: the customer churn rate itself, 1 / 4
      ltv: 20000, // 5000 / 0.25
      ltvGrossMargin: 16000, // 20000 x 0.8
      grr: 0.85, // (20000 - 3000 - 0) / 20000
      nrr: 1, // (20000 - 3000 - 0 + 3000) / 20000
      // Nobody was a customer on 2025-02-01, twelve months before Feb 1.
      grrTrailing12m: null,
      nrrTrailing12m: null,
      // A +3000; C ends at 3000. Bridge: 20000 + 3000 - 3000 = 20000 = mrrAtEnd.
      movements: { newMrr: 0, expansionMrr: 3000, reactivationMrr: 0, contractionMrr: 0, churnedMrr: 3000 },
      quickRatio: 1, // (0 + 3000 + 0) / (3000 + 0)
      earlyChurnByTenure: none,
      earlyChurnRate: null, // no starts in January
      earlyChurnMature: false, // Feb 1 + 90 days = May 2, after `to`
      // D's cancel (voluntary, 2000 just before it); C's end without a cancel (involuntary, 3000).
      cancellationsByReason: [
        { reason: 'missing_feature', kind: 'voluntary', count: 1, mrr: 2000 },
        { reason: 'payment_failed', kind: 'involuntary', count: 1, mrr: 3000 },
      ],
    },
    {
      period: '2026-02',
      // Just before Mar 1: A 8000 (canceling, ends at Mar 1), B 6000, F 2500 -> 3, 16500.
      customersAtEnd: 3,
      mrrAtEnd: 16500,
      arpa: 6667, // 20000 / 3 = 6666.67
      monthlyCustomerChurnRate: 0.333333, // 1 / 3
      ltv: 20000, // (20000 / 3) / (1 / 3), from the unrounded ARPA and rate
      ltvGrossMargin: 16000,
      grr: 0.7, // (20000 - 2000 - 4000) / 20000
      nrr: 0.7, // no expansion
      grrTrailing12m: null,
      nrrTrailing12m: null,
      // New: F 2500 + E 4000; B -4000; ends: D 2000 + E 4000 (E is not in churnedMrr: not a customer at start).
      // Bridge: 20000 + 6500 - 4000 - 6000 = 16500.
      movements: { newMrr: 6500, expansionMrr: 0, reactivationMrr: 0, contractionMrr: 4000, churnedMrr: 6000 },
      quickRatio: 0.65, // 6500 / (6000 + 4000)
      // Starts: F (Feb 1) and E (Feb 3); E ends Feb 25, 22 days in; F has not churned by Apr 1.
      earlyChurnByTenure: { days0to7: 0, days8to30: 1, days31to90: 0 },
      earlyChurnRate: 0.5, // 1 / 2
      earlyChurnMature: false,
      // A's cancel (voluntary, 8000); E's end: no cancel, no reason, no `voluntary` (4000).
      cancellationsByReason: [
        { reason: 'too_expensive', kind: 'voluntary', count: 1, mrr: 8000 },
        { reason: 'unknown', kind: 'unknown', count: 1, mrr: 4000 },
      ],
    },
    {
      period: '2026-03',
      // Just before Apr 1: B 6000 (its end at Apr 1 is ignored), C 3000, F 3500 -> 3, 12500.
      customersAtEnd: 3,
      mrrAtEnd: 12500,
      arpa: 5500, // 16500 / 3
      monthlyCustomerChurnRate: 0.333333,
      ltv: 16500, // 5500 / (1 / 3)
      ltvGrossMargin: 13200, // 16500 x 0.8
      grr: 0.515152, // (16500 - 8000) / 16500 = 0.5151515...
      nrr: 0.575758, // (16500 - 8000 + 1000) / 16500 = 0.5757575...
      grrTrailing12m: null,
      nrrTrailing12m: null,
      // F +1000, C back at 3000, A ends at 8000. Bridge: 16500 + 1000 + 3000 - 8000 = 12500.
      movements: { newMrr: 0, expansionMrr: 1000, reactivationMrr: 3000, contractionMrr: 0, churnedMrr: 8000 },
      quickRatio: 0.5, // (0 + 1000 + 3000) / 8000
      // One start (C's return, Mar 10), not churned by Apr 1.
      earlyChurnByTenure: none,
      earlyChurnRate: 0, // 0 / 1
      earlyChurnMature: false,
      cancellationsByReason: [], // A's end follows its February cancel
    },
  ]

  it.each(expected)('computes $period by hand', (row) => {
    expect(rows.find((r) => r.period === row.period)).toMatchObject(row)
  })

  it('balances the MRR bridge in every period: mrrAtStart + new + expansion + reactivation - contraction - churned = mrrAtEnd', () => {
    for (const r of rows) {
      const m = r.movements
      expect(r.mrrAtStart + m.newMrr + m.expansionMrr + m.reactivationMrr - m.contractionMrr - m.churnedMrr, r.period).toBe(r.mrrAtEnd)
    }
  })

  it('converts a quarter churn rate to a monthly one for LTV', () => {
    const [q1] = churnMetrics(FIXTURE, { ...Q1, interval: 'quarter', grossMargin: 0.8 })
    // 3 of 4 churned in 3 months: 1 - (1 - 0.75)^(1/3) = 1 - 0.629961 = 0.370039...;
    // LTV 5000 / 0.3700395 = 13512.07 -> 13512; x 0.8 = 10809.66 -> 10810.
    expect(q1).toMatchObject({ customerChurnRate: 0.75, arpa: 5000, monthlyCustomerChurnRate: 0.370039, ltv: 13512, ltvGrossMargin: 10810 })
  })

  it('reports no LTV when nobody churned (it would be unbounded)', () => {
    const history: BillingHistory[] = [{ customerId: 's', billing: [record('s1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 1000 })] }]
    const [jan] = churnMetrics(history, { from: Q1.from, to: at('2026-02-01T00:00:00Z'), interval: 'month' })
    expect(jan).toMatchObject({ arpa: 1000, customerChurnRate: 0, monthlyCustomerChurnRate: 0, ltv: null, ltvGrossMargin: null, quickRatio: null })
  })
})

describe('trailing twelve-month GRR and NRR', () => {
  //   x  start 2025-01-01 1000 (pro); upgrade 2025-06-01 -> 1500
  //   y  start 2025-01-10 2000 (pro); downgrade 2025-08-01 -> 1000 (basic); end 2025-12-15
  //   z  start 2025-02-15 500 (basic): after the trailing window's start, so not in its cohort
  const history: BillingHistory[] = [
    { customerId: 'x', billing: [record('x1', '2025-01-01T00:00:00Z', 'subscription_started', { mrr: 1000, plan: 'pro' }), record('x2', '2025-06-01T00:00:00Z', 'subscription_changed', { mrr: 1500 })] },
    {
      customerId: 'y',
      billing: [
        record('y1', '2025-01-10T00:00:00Z', 'subscription_started', { mrr: 2000, plan: 'pro' }),
        record('y2', '2025-08-01T00:00:00Z', 'subscription_changed', { mrr: 1000, plan: 'basic' }),
        record('y3', '2025-12-15T00:00:00Z', 'subscription_ended', { voluntary: true }),
      ],
    },
    { customerId: 'z', billing: [record('z1', '2025-02-15T00:00:00Z', 'subscription_started', { mrr: 500, plan: 'basic' })] },
  ]
  const options: ChurnMetricsOptions = { from: at('2026-01-01T00:00:00Z'), to: at('2026-02-01T00:00:00Z'), interval: 'month' }

  it('measures the customers of twelve months before the period end', () => {
    const [jan] = churnMetrics(history, options)
    // Window [2025-02-01, 2026-02-01); cohort x 1000 + y 2000 = 3000. x +500; y -1000, then ends at 1000.
    // GRR (3000 - 1000 - 1000) / 3000 = 0.333333; NRR (3000 - 1000 - 1000 + 500) / 3000 = 0.5
    // (x's 1500 today / 3000). January itself: x 1500 and z 500, nothing moves -> 1 and 1.
    expect(jan).toMatchObject({ grrTrailing12m: 0.333333, nrrTrailing12m: 0.5, grr: 1, nrr: 1, mrrAtStart: 2000 })
  })

  it('groups the trailing cohort by its plan at the window start', () => {
    const { groups } = churnReport(history, { ...options, groupBy: 'plan' })
    // On 2025-02-01 x and y were both on pro (y moved to basic later): pro holds the whole cohort.
    // basic: z, a customer at January's start but not at the window's start -> no trailing figure.
    expect(groups.map((g) => [g.group, g.periods[0]?.grrTrailing12m, g.periods[0]?.nrrTrailing12m, g.periods[0]?.customersAtStart])).toEqual([
      ['basic', null, null, 1],
      ['pro', 0.333333, 0.5, 1],
    ])
  })
})

describe('countChurnAt', () => {
  it('counts churn at the cancel request with countChurnAt=cancel', () => {
    const [jan, feb, mar] = churnMetrics(FIXTURE, { ...Q1, interval: 'month', countChurnAt: 'cancel' })
    // January: A, B, C, D at start (D cancels Jan 5, so it is still active on Jan 1) -> 4, 20000.
    // D churns at its cancel (voluntary, 2000, 16 days after its start: early); C at its end
    // (no cancel before it: involuntary, 3000). Just before Feb 1: A 8000, B 10000.
    expect(jan).toMatchObject({
      customersAtStart: 4,
      mrrAtStart: 20000,
      churned: 2,
      churnedMrr: 5000,
      customerChurnRate: 0.5, // 2 / 4
      churnedByKind: { voluntary: 1, involuntary: 1, unknown: 0 },
      churnedMrrByKind: { voluntary: 2000, involuntary: 3000, unknown: 0 },
      earlyChurn: 1,
      customersAtEnd: 2,
      mrrAtEnd: 18000, // 20000 + 3000 (A) - 5000
    })
    // February: A 8000 and B 10000 at start (D, canceling, no longer counts). A churns at its
    // cancel (Feb 10, 8000); D's end changes nothing; E starts and ends inside the month.
    expect(feb).toMatchObject({ customersAtStart: 2, mrrAtStart: 18000, churned: 1, churnedMrr: 8000, churnedNewInPeriod: 1, customerChurnRate: 0.5 })
    // March: B 6000 and F 2500 at start; A's end (already churned) changes nothing; C returns.
    expect(mar).toMatchObject({ customersAtStart: 2, mrrAtStart: 8500, churned: 0, reactivations: 1, customersAtEnd: 3, mrrAtEnd: 12500 })
  })

  it('counts an undone cancel as a reactivation when churn is counted at the cancel, and as nothing when at the end', () => {
    const history: BillingHistory[] = [
      {
        customerId: 'u',
        billing: [
          record('u1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 1000 }),
          record('u2', '2026-01-10T00:00:00Z', 'subscription_canceled', { reason: 'budget', voluntary: true }),
          record('u3', '2026-01-20T00:00:00Z', 'subscription_reactivated', { mrr: 1000 }),
        ],
      },
    ]
    const january = { from: Q1.from, to: at('2026-02-01T00:00:00Z'), interval: 'month' } as const
    const [atCancel] = churnMetrics(history, { ...january, countChurnAt: 'cancel' })
    const [atEnd] = churnMetrics(history, january)
    expect(atCancel).toMatchObject({ churned: 1, churnedMrr: 1000, reactivations: 1, reactivationMrr: 1000, customersAtEnd: 1, quickRatio: 1 })
    expect(atEnd).toMatchObject({ churned: 0, reactivations: 0, customersAtEnd: 1, quickRatio: null })
    // The cancel is a departure decision either way.
    expect(atEnd?.cancellationsByReason).toEqual([{ reason: 'budget', kind: 'voluntary', count: 1, mrr: 1000 }])
  })
})

describe('groupBy', () => {
  it('splits February by plan: customers at start by their plan just before it, newcomers by their plan on joining', () => {
    const { periods, groups } = churnReport(FIXTURE, { from: at('2026-02-01T00:00:00Z'), to: at('2026-03-01T00:00:00Z'), interval: 'month', groupBy: 'plan' })
    const feb = (group: string) => groups.find((g) => g.group === group)?.periods[0]
    expect(groups.map((g) => g.group)).toEqual(['basic', 'business', 'team'])
    // business: A (8000, on business since Jan 15) and B (10000). B's downgrade to team stays in
    // business for February. GRR (18000 - 4000) / 18000 = 0.777778; ARPA 9000; nobody churned.
    expect(feb('business')).toMatchObject({
      customersAtStart: 2,
      mrrAtStart: 18000,
      contractionMrr: 4000,
      grr: 0.777778,
      arpa: 9000,
      churned: 0,
      ltv: null,
      customersAtEnd: 2,
      mrrAtEnd: 14000, // A 8000 + B 6000
      cancellationsByReason: [{ reason: 'too_expensive', kind: 'voluntary', count: 1, mrr: 8000 }],
    })
    // basic: D at start (2000, churns) and F joining at 2500. Churn 1 / 1; LTV 2000 / 1 = 2000.
    expect(feb('basic')).toMatchObject({ customersAtStart: 1, mrrAtStart: 2000, churned: 1, customerChurnRate: 1, newCustomers: 1, newMrr: 2500, ltv: 2000, grr: 0 })
    // team: E joins at 4000 and ends 22 days later.
    expect(feb('team')).toMatchObject({ customersAtStart: 0, newCustomers: 1, churnedNewInPeriod: 1, earlyChurnByTenure: { days0to7: 0, days8to30: 1, days31to90: 0 }, earlyChurnRate: 1 })
    // The groups add up to the totals.
    const sum = (key: 'customersAtStart' | 'mrrAtStart' | 'churned' | 'newCustomers' | 'mrrAtEnd') => groups.reduce((n, g) => n + (g.periods[0]?.[key] ?? 0), 0)
    for (const key of ['customersAtStart', 'mrrAtStart', 'churned', 'newCustomers', 'mrrAtEnd'] as const) expect(sum(key), key).toBe(periods[0]?.[key])
  })

  it('takes segment and owner from account events: before the start for customers at start, at the instant of joining for newcomers', () => {
    const account = (eventId: string, iso: string, fields: Omit<AccountRecord, 'eventId' | 'occurredAt'>): AccountRecord => ({ eventId, occurredAt: at(iso), ...fields })
    const history: BillingHistory[] = [
      {
        // smb until its move to mid exactly at Feb 1 00:00: February still sees smb.
        customerId: 'p',
        billing: [record('p1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 1000 })],
        accounts: [account('pa1', '2025-12-01T00:00:00Z', { segment: 'smb', ownerId: 'ann' }), account('pa2', '2026-02-01T00:00:00Z', { segment: 'mid' })],
      },
      {
        // Its sign-up account event comes with the start (same instant): it applies.
        customerId: 'q',
        billing: [record('q1', '2026-02-10T00:00:00Z', 'subscription_started', { mrr: 3000 })],
        accounts: [account('qa1', '2026-02-10T00:00:00Z', { segment: 'mid', ownerId: 'bob' })],
      },
      {
        // A segment set, then cleared (null) before February: unknown.
        customerId: 'r',
        billing: [record('r1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 500 })],
        accounts: [account('ra1', '2025-12-01T00:00:00Z', { segment: 'smb' }), account('ra2', '2026-01-15T00:00:00Z', { segment: null, ownerId: 'ann' })],
      },
    ]
    const options = { from: at('2026-02-01T00:00:00Z'), to: at('2026-04-01T00:00:00Z'), interval: 'month' } as const
    const bySegment = churnReport(history, { ...options, groupBy: 'segment' }).groups
    expect(bySegment.map((g) => [g.group, g.periods.map((p) => p.customersAtStart + p.newCustomers), g.periods.map((p) => p.mrrAtStart + p.newMrr)])).toEqual([
      // February: q joins (mid, 3000); March: p (mid since Feb 1) and q at start: 4000.
      ['mid', [1, 2], [3000, 4000]],
      // February: p (still smb just before Feb 1) 1000; March: nobody.
      ['smb', [1, 0], [1000, 0]],
      // r, unknown since Jan 15; the unknown group sorts last.
      [null, [1, 1], [500, 500]],
    ])
    const byOwner = churnReport(history, { ...options, groupBy: 'ownerId' }).groups
    expect(byOwner.map((g) => [g.group, g.periods[0]?.mrrAtStart, g.periods[0]?.newMrr])).toEqual([
      ['ann', 1500, 0], // p 1000 + r 500
      ['bob', 0, 3000],
    ])
  })

  it('groups by billing interval, sent or inferred from invoices', () => {
    const history: BillingHistory[] = [
      // Sent: yearly.
      { customerId: 'y1', billing: [record('y1a', '2025-06-01T00:00:00Z', 'subscription_started', { mrr: 1000, interval: 'year', intervalCount: 1 })] },
      // Inferred: an invoice of 12 x MRR is annual.
      {
        customerId: 'y2',
        billing: [record('y2a', '2025-06-01T00:00:00Z', 'subscription_started', { mrr: 2000 }), record('y2b', '2025-06-01T00:00:00Z', 'invoice_paid', { amount: 24000 })],
      },
      // Inferred: an invoice of 1 x MRR is monthly.
      {
        customerId: 'm1',
        billing: [record('m1a', '2025-06-01T00:00:00Z', 'subscription_started', { mrr: 500 }), record('m1b', '2025-06-01T00:00:00Z', 'invoice_paid', { amount: 500 })],
      },
      // Sent: quarterly.
      { customerId: 'm3', billing: [record('m3a', '2025-06-01T00:00:00Z', 'subscription_started', { mrr: 700, interval: 'month', intervalCount: 3 })] },
      // Nothing to tell.
      { customerId: 'n1', billing: [record('n1a', '2025-06-01T00:00:00Z', 'subscription_started', { mrr: 300 })] },
    ]
    const { groups } = churnReport(history, { from: Q1.from, to: at('2026-02-01T00:00:00Z'), interval: 'month', groupBy: 'interval' })
    expect(groups.map((g) => [g.group, g.periods[0]?.customersAtStart, g.periods[0]?.mrrAtStart])).toEqual([
      ['3-month', 1, 700],
      ['month', 1, 500],
      ['year', 2, 3000],
      [null, 1, 300],
    ])
  })

  it('returns no groups without groupBy', () => {
    expect(churnReport(FIXTURE, { ...Q1, interval: 'month' }).groups).toEqual([])
  })

  it.each([
    ['an unknown groupBy', { groupBy: 'country' }],
    ['an unknown countChurnAt', { countChurnAt: 'renewal' }],
    ['a zero gross margin', { grossMargin: 0 }],
    ['a gross margin above 1', { grossMargin: 1.5 }],
  ] as const)('rejects %s with CW_METRICS_INVALID_OPTIONS', (_name, extra) => {
    // The cast stands for an untyped caller (a query string).
    expect(() => churnReport(FIXTURE, { ...Q1, interval: 'month', ...extra } as ChurnMetricsOptions)).toThrow(
      expect.objectContaining({ name: 'ChurnwatchError', code: 'CW_METRICS_INVALID_OPTIONS' }),
    )
  })
})
