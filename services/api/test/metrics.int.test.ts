import type { BillingEvent } from '@churnwatch/contract'
import { insertBillingEvents, withTransaction } from '@churnwatch/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { body, buildTestApi, type TestApi } from './harness.js'

// Five customers, two months. Every expected figure below is computed by hand from this history.
//   A  started 2025-12-01 at 1000, upgraded 2026-01-10 to 1500
//   B  started 2025-12-15 at 2000, canceled 2026-01-20 (too_expensive), ended 2026-02-05 (voluntary)
//   C  started 2025-09-01 at 3000, payment failed 01-10, ended 2026-01-25 (payment_failed, involuntary),
//      reactivated 2026-02-20 at 3000
//   D  started 2026-01-05 at 500, ended 2026-01-28 (no_value, voluntary)
//   E  started 2025-10-01 at 4000, downgraded 2026-02-10 to 2500
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

describe('churn and retention metrics endpoints', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('metrics')
    await withTransaction(api.db.pool, (tx) => insertBillingEvents(tx, HISTORY))
  })
  afterAll(() => api.close())

  const churn = (query: string) => api.call('read', { method: 'GET', url: `/v1/metrics/churn?${query}` })

  it('computes customer churn, gross and net MRR churn, the voluntary split, early churn, reasons and reactivations by month', async () => {
    const response = await churn('from=2026-01-01&to=2026-03-01&interval=month')
    expect(response.statusCode).toBe(200)
    const result = body<{ periods: Array<Record<string, unknown>>; from: string; to: string }>(response)
    expect(result.from).toBe('2026-01-01T00:00:00.000Z')
    expect(result.to).toBe('2026-03-01T00:00:00.000Z')
    expect(result.periods).toEqual([
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
        // C: still a customer at every month start except Feb 1 (ended Jan 25, back Feb 20).
        { cohort: '2025-09', size: 1, retained: [1, 1, 1, 1, 1, 0, 1], retainedRate: [1, 1, 1, 1, 1, 0, 1] },
        { cohort: '2025-10', size: 1, retained: [1, 1, 1, 1, 1, 1], retainedRate: [1, 1, 1, 1, 1, 1] },
        // A and B; B (canceling on Feb 1) is gone by Mar 1.
        { cohort: '2025-12', size: 2, retained: [2, 2, 2, 1], retainedRate: [1, 1, 1, 0.5] },
        { cohort: '2026-01', size: 1, retained: [1, 0, 0], retainedRate: [1, 0, 0] },
      ],
    })
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
  ])('rejects %s with a field error', async (query, path, message) => {
    const response = await churn(query)
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(body(response).errors).toEqual([{ path, message }])
  })

  it('rejects an unknown cohort kind', async () => {
    const response = await api.call('read', { method: 'GET', url: '/v1/metrics/retention?cohort=week' })
    expect(response.statusCode).toBe(400)
    expect(body(response).errors).toEqual([{ path: 'query.cohort', message: 'cohort must be month' }])
  })
})
