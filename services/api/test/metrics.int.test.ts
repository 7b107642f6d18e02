import type { AccountEvent, BillingEvent } from '@churnwatch/contract'
import { insertAccountEvents, insertBillingEvents, withTransaction } from '@churnwatch/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { body, buildTestApi, type TestApi } from './harness.js'

// Five customers, two months. Every expected figure below is computed by hand from this history.
//   A  started 2025-12-01 at 1000, upgraded 2026-01-10 to 1500
//   B  started 2025-12-15 at 2000, canceled 2026-01-20 (too_expensive), ended 2026-02-05 (voluntary)
//   C  started 2025-09-01 at 3000, payment failed 01-10, ended 2026-01-25 (payment_failed, involuntary),
//      reactivated 2026-02-20 at 3000
//   D  started 2026-01-05 at 500, ended 2026-01-28 (no_value, voluntary)
//   E  started 2025-10-01 at 4000, downgraded 2026-02-10 to 2500
// Accounts: A (owner ann) and B in segment smb; C (owner bob) and E in enterprise; D has no account event.
let seq = 0
const billing = (customerId: string, type: BillingEvent['type'], occurredAt: string, extra: Record<string, unknown> = {}) =>
  ({ eventId: `m-${++seq}`, customerId, occurredAt, kind: 'billing', type, currency: 'USD', ...extra }) as BillingEvent

const HISTORY: BillingEvent[] = [
  billing('A', 'subscription_started', '2025-12-01T00:00:00Z', { mrr: 1000 }),
  billing('A', 'invoice_paid', '2026-01-01T00:00:00Z', { amount: 1000 }),
  billing('A', 'subscription_changed', '2026-01-10T00:00:00Z', { mrr: 1500 }),
  billing('B', 'subscription_started', '2025-12-15T00:00:00Z', { mrr: 2000 }),
  billing('B', 'subscription_canceled', '2026-01-20T00:00:00Z', { reason: 'too_expensive', voluntary: true }),
  billing('B', 'subscription_ended', '2026-02-05T00:00:00Z', { reason: 'too_expensive', voluntary: true }),
  billing('C', 'subscription_started', '2025-09-01T00:00:00Z', { mrr: 3000 }),
  billing('C', 'payment_failed', '2026-01-10T00:00:00Z', { amount: 3000 }),
  billing('C', 'subscription_ended', '2026-01-25T00:00:00Z', { reason: 'payment_failed', voluntary: false }),
  billing('C', 'subscription_reactivated', '2026-02-20T00:00:00Z', { mrr: 3000 }),
  billing('D', 'subscription_started', '2026-01-05T00:00:00Z', { mrr: 500 }),
  billing('D', 'subscription_ended', '2026-01-28T00:00:00Z', { reason: 'no_value', voluntary: true }),
  billing('E', 'subscription_started', '2025-10-01T00:00:00Z', { mrr: 4000 }),
  billing('E', 'subscription_changed', '2026-02-10T00:00:00Z', { mrr: 2500 }),
]

const account = (customerId: string, occurredAt: string, fields: Partial<AccountEvent>) =>
  ({ eventId: `acc-${++seq}`, customerId, occurredAt, kind: 'account', ...fields }) as AccountEvent

const ACCOUNTS: AccountEvent[] = [
  account('A', '2025-12-01T00:00:00Z', { segment: 'smb', ownerId: 'ann' }),
  account('B', '2025-12-15T00:00:00Z', { segment: 'smb' }),
  account('C', '2025-09-01T00:00:00Z', { segment: 'enterprise', ownerId: 'bob' }),
  account('E', '2025-10-01T00:00:00Z', { segment: 'enterprise' }),
]

describe('churn and retention metrics endpoints', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('metrics')
    await withTransaction(api.db.pool, async (tx) => {
      await insertBillingEvents(tx, HISTORY)
      await insertAccountEvents(tx, ACCOUNTS)
    })
  })
  afterAll(() => api.close())

  const churn = (query: string) => api.call('read', { method: 'GET', url: `/v1/metrics/churn?${query}` })

  it('computes customer churn, gross and net MRR churn, the voluntary split, early churn, reasons and reactivations by month', async () => {
    const response = await churn('from=2026-01-01&to=2026-03-01&interval=month')
    expect(response.statusCode).toBe(200)
    const result = body<{ periods: Array<Record<string, unknown>>; from: string; to: string }>(response)
    expect(result.from).toBe('2026-01-01T00:00:00.000Z')
    expect(result.to).toBe('2026-03-01T00:00:00.000Z')
    // The figures this route had before ADR 0014 (its additions are checked below).
    expect(result.periods).toMatchObject([
      {
        period: '2026-01',
        start: '2026-01-01T00:00:00.000Z',
        end: '2026-02-01T00:00:00.000Z',
        // Active just before Jan 1: A 1000, B 2000, C 3000, E 4000.
        customersAtStart: 4,
        mrrAtStart: 10000,
        newCustomers: 1, // D
        newMrr: 500,
        reactivations: 0,
        reactivationMrr: 0,
        expansionMrr: 500, // A 1000 -> 1500
        contractionMrr: 0,
        churned: 1, // C (D ended too but was not a customer at the start)
        churnedNewInPeriod: 1, // D
        churnedMrr: 3000,
        customerChurnRate: 0.25, // 1 / 4
        grossMrrChurnRate: 0.3, // (3000 + 0) / 10000
        netMrrChurnRate: 0.25, // (3000 + 0 - 500) / 10000: expansion offsets churn
        churnedByKind: { voluntary: 0, involuntary: 1, unknown: 0 },
        churnedMrrByKind: { voluntary: 0, involuntary: 3000, unknown: 0 },
        earlyChurn: 1, // D after 23 days; C lasted 146 days
        // B cancels (too_expensive); C and D end without a cancel and bring their own reason.
        cancellationReasons: { no_value: 1, payment_failed: 1, too_expensive: 1 },
      },
      {
        period: '2026-02',
        start: '2026-02-01T00:00:00.000Z',
        end: '2026-03-01T00:00:00.000Z',
        // Just before Feb 1: A 1500, B 2000 (canceling still pays), E 4000.
        customersAtStart: 3,
        mrrAtStart: 7500,
        newCustomers: 0,
        newMrr: 0,
        reactivations: 1, // C
        reactivationMrr: 3000,
        expansionMrr: 0,
        contractionMrr: 1500, // E 4000 -> 2500
        churned: 1, // B
        churnedNewInPeriod: 0,
        churnedMrr: 2000,
        customerChurnRate: 0.333333, // 1 / 3
        grossMrrChurnRate: 0.466667, // (2000 + 1500) / 7500
        netMrrChurnRate: 0.466667, // (2000 + 1500 - 0) / 7500
        churnedByKind: { voluntary: 1, involuntary: 0, unknown: 0 },
        churnedMrrByKind: { voluntary: 2000, involuntary: 0, unknown: 0 },
        earlyChurn: 1, // B after 52 days
        cancellationReasons: {}, // B's end follows its January cancel
      },
    ])
  })

  it('uses the same churn definition at other intervals: one quarter holds both months', async () => {
    const response = await churn('from=2026-01-01&to=2026-03-01T00:00:00Z&interval=quarter')
    const [q1] = body<{ periods: Array<Record<string, unknown>> }>(response).periods
    // Customers at the start of Q1: A, B, C, E (4); B and C churned; D started and ended inside.
    expect(q1).toMatchObject({ period: '2026-Q1', customersAtStart: 4, churned: 2, churnedNewInPeriod: 1, customerChurnRate: 0.5, reactivations: 1 })
  })

  it('builds the acquisition-cohort retention table', async () => {
    const response = await api.call('read', { method: 'GET', url: '/v1/metrics/retention?cohort=month&asOf=2026-03-01T00:00:00Z' })
    expect(response.statusCode).toBe(200)
    expect(body(response)).toEqual({
      cohort: 'month',
      asOf: '2026-03-01T00:00:00.000Z',
      cohorts: [
        // C: still a customer at every month start except Feb 1 (ended Jan 25, back Feb 20 at 3000).
        { cohort: '2025-09', size: 1, retained: [1, 1, 1, 1, 1, 0, 1], retainedRate: [1, 1, 1, 1, 1, 0, 1], retainedMrr: [3000, 3000, 3000, 3000, 3000, 0, 3000], retainedMrrRate: [1, 1, 1, 1, 1, 0, 1] },
        // E: 4000 until its Feb 10 downgrade, 2500 at Mar 1: 2500 / 4000 = 0.625.
        { cohort: '2025-10', size: 1, retained: [1, 1, 1, 1, 1, 1], retainedRate: [1, 1, 1, 1, 1, 1], retainedMrr: [4000, 4000, 4000, 4000, 4000, 2500], retainedMrrRate: [1, 1, 1, 1, 1, 0.625] },
        // A and B; B (canceling on Feb 1) is gone by Mar 1. MRR: 1000 + 2000; at Feb 1 A 1500 + B 2000
        // = 3500 (3500 / 3000 = 1.166667); at Mar 1 A 1500 (0.5).
        { cohort: '2025-12', size: 2, retained: [2, 2, 2, 1], retainedRate: [1, 1, 1, 0.5], retainedMrr: [3000, 3000, 3500, 1500], retainedMrrRate: [1, 1, 1.166667, 0.5] },
        { cohort: '2026-01', size: 1, retained: [1, 0, 0], retainedRate: [1, 0, 0], retainedMrr: [500, 0, 0], retainedMrrRate: [1, 0, 0] },
      ],
      countChurnAt: 'end',
      groupBy: null,
      groups: [],
    })
  })

  it('computes ARPA, LTV, GRR, NRR, the MRR bridge, quick ratio, early churn by tenure and reasons by MRR by month', async () => {
    const response = await churn('from=2026-01-01&to=2026-03-01&grossMargin=0.8')
    expect(response.statusCode).toBe(200)
    const result = body<{ periods: Array<Record<string, unknown>>; countChurnAt: string; grossMargin: number; groups: unknown[] }>(response)
    expect(result).toMatchObject({ countChurnAt: 'end', grossMargin: 0.8, groupBy: null, groups: [] })
    expect(result.periods).toMatchObject([
      {
        period: '2026-01',
        // Just before Feb 1: A 1500, B 2000 (canceling), E 4000.
        customersAtEnd: 3,
        mrrAtEnd: 7500,
        arpa: 2500, // 10000 / 4
        monthlyCustomerChurnRate: 0.25,
        ltv: 10000, // 2500 / 0.25
        ltvGrossMargin: 8000, // 10000 x 0.8
        grr: 0.7, // (10000 - 3000 - 0) / 10000
        nrr: 0.75, // (10000 - 3000 - 0 + 500) / 10000
        grrTrailing12m: null, // nobody was a customer on 2025-02-01
        // New D 500; A +500; C 3000 and D 500 end. Bridge: 10000 + 500 + 500 - 3500 = 7500.
        movements: { newMrr: 500, expansionMrr: 500, reactivationMrr: 0, contractionMrr: 0, churnedMrr: 3500 },
        quickRatio: 0.285714, // (500 + 500) / 3500
        // One start (D), ended 23 days later.
        earlyChurnByTenure: { days0to7: 0, days8to30: 1, days31to90: 0 },
        earlyChurnRate: 1,
        cancellationsByReason: [
          { reason: 'no_value', kind: 'voluntary', count: 1, mrr: 500 },
          { reason: 'payment_failed', kind: 'involuntary', count: 1, mrr: 3000 },
          { reason: 'too_expensive', kind: 'voluntary', count: 1, mrr: 2000 },
        ],
      },
      {
        period: '2026-02',
        // Just before Mar 1: A 1500, C 3000 (back), E 2500.
        customersAtEnd: 3,
        mrrAtEnd: 7000,
        arpa: 2500, // 7500 / 3
        monthlyCustomerChurnRate: 0.333333,
        ltv: 7500, // 2500 / (1 / 3)
        ltvGrossMargin: 6000,
        grr: 0.533333, // (7500 - 2000 - 1500) / 7500
        nrr: 0.533333,
        // C back at 3000; E -1500; B ends at 2000. Bridge: 7500 + 3000 - 1500 - 2000 = 7000.
        movements: { newMrr: 0, expansionMrr: 0, reactivationMrr: 3000, contractionMrr: 1500, churnedMrr: 2000 },
        quickRatio: 0.857143, // 3000 / (2000 + 1500)
        earlyChurnByTenure: { days0to7: 0, days8to30: 0, days31to90: 0 },
        earlyChurnRate: 0, // C's return has not churned
        earlyChurnMature: false,
        cancellationsByReason: [],
      },
    ])
  })

  it('counts churn at the cancel request with countChurnAt=cancel', async () => {
    const response = await churn('from=2026-01-01&to=2026-03-01&countChurnAt=cancel')
    const result = body<{ periods: Array<Record<string, unknown>>; definition: string }>(response)
    expect(result.definition).toContain('countChurnAt=cancel')
    // January as with `end`, but B churns at its Jan 20 cancel (2000, voluntary) beside C: 2 / 4.
    // February: B no longer counts at the start (canceling): A 1500 and E 4000; nobody cancels.
    expect(result.periods).toMatchObject([
      { period: '2026-01', customersAtStart: 4, churned: 2, churnedMrr: 5000, customerChurnRate: 0.5, churnedByKind: { voluntary: 1, involuntary: 1, unknown: 0 } },
      { period: '2026-02', customersAtStart: 2, mrrAtStart: 5500, churned: 0, customerChurnRate: 0 },
    ])
  })

  it('splits every figure by segment, from account events', async () => {
    const response = await churn('from=2026-01-01&to=2026-02-01&groupBy=segment')
    expect(response.statusCode).toBe(200)
    const result = body<{ groupBy: string; periods: Array<Record<string, unknown>>; groups: Array<{ group: string | null; periods: Array<Record<string, unknown>> }> }>(response)
    expect(result.groupBy).toBe('segment')
    expect(result.periods).toMatchObject([{ customersAtStart: 4, churned: 1 }])
    expect(result.groups).toMatchObject([
      // C 3000 and E 4000; C churns: 1 / 2; GRR (7000 - 3000) / 7000 = 0.571429.
      { group: 'enterprise', periods: [{ customersAtStart: 2, mrrAtStart: 7000, churned: 1, customerChurnRate: 0.5, grr: 0.571429, arpa: 3500, ltv: 7000 }] },
      // A 1000 and B 2000; A +500: NRR 3500 / 3000 = 1.166667.
      { group: 'smb', periods: [{ customersAtStart: 2, mrrAtStart: 3000, churned: 0, expansionMrr: 500, grr: 1, nrr: 1.166667 }] },
      // D, with no account event: new and gone within January.
      { group: null, periods: [{ customersAtStart: 0, newCustomers: 1, newMrr: 500, churnedNewInPeriod: 1 }] },
    ])
  })

  it('splits the retention table by segment at acquisition', async () => {
    const response = await api.call('read', { method: 'GET', url: '/v1/metrics/retention?asOf=2026-03-01T00:00:00Z&groupBy=segment' })
    expect(response.statusCode).toBe(200)
    const result = body<{ groups: Array<{ group: string | null; cohorts: Array<{ cohort: string; retainedMrr: number[] }> }> }>(response)
    expect(result.groups.map((g) => [g.group, g.cohorts.map((c) => [c.cohort, c.retainedMrr])])).toEqual([
      ['enterprise', [['2025-09', [3000, 3000, 3000, 3000, 3000, 0, 3000]], ['2025-10', [4000, 4000, 4000, 4000, 4000, 2500]]]],
      ['smb', [['2025-12', [3000, 3000, 3500, 1500]]]],
      [null, [['2026-01', [500, 0, 0]]]],
    ])
  })

  it('defaults to twelve months up to now', async () => {
    api.setNow('2026-03-15T00:00:00Z')
    const response = await churn('')
    const result = body<{ periods: Array<{ period: string }> }>(response)
    expect(result.periods.at(-1)?.period).toBe('2026-03')
    expect(result.periods.length).toBeGreaterThanOrEqual(12)
  })

  it.each([
    ['from=2026-03-01&to=2026-01-01', 'query.from', 'must be before to'],
    ['interval=day', 'query.interval', 'interval must be week, month or quarter'],
    ['from=yesterday', 'query.from', 'must be an ISO-8601 date (2026-03-01) or instant with a zone (2026-03-01T12:00:00Z)'],
    ['from=2026-03-01T10:00:00', 'query.from', 'must be an ISO-8601 date (2026-03-01) or instant with a zone (2026-03-01T12:00:00Z)'],
    ['from=1900-01-01&to=2026-01-01&interval=week', 'query.from', 'range too long for interval week'],
    ['groupBy=country', 'query.groupBy', 'groupBy must be one of segment, plan, ownerId, interval'],
    ['countChurnAt=renewal', 'query.countChurnAt', 'countChurnAt must be end or cancel'],
    ['grossMargin=0', 'query.grossMargin', 'grossMargin must be a number in (0, 1]'],
    ['grossMargin=1.2', 'query.grossMargin', 'grossMargin must be a number in (0, 1]'],
  ])('rejects %s with a field error', async (query, path, message) => {
    const response = await churn(query)
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(body(response).errors).toEqual([{ path, message }])
  })

  it.each([
    ['cohort=week', 'query.cohort', 'cohort must be month'],
    ['groupBy=industry', 'query.groupBy', 'groupBy must be one of segment, plan, ownerId, interval'],
  ])('rejects retention with %s naming the parameter', async (query, path, message) => {
    const response = await api.call('read', { method: 'GET', url: `/v1/metrics/retention?${query}` })
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(body(response).errors).toEqual([{ path, message }])
  })
})
