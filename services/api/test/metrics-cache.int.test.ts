import type { AccountEvent, BillingEvent } from '@churnwatch/contract'
import { churnReport, retentionReport, type ChurnPeriod } from '@churnwatch/metrics'
import { insertAccountEvents, insertBillingEvents, readMetricsHistories, withTransaction } from '@churnwatch/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { body, buildTestApi, type TestApi } from './harness.js'

// The in-memory metrics cache (ADR 0014): an event committed after a first request changes the next
// response, and every response equals the uncached computation over a fresh storage read.
//   A  started 2025-12-01 at 1000
//   B  started 2025-12-15 at 2000, canceled 2026-01-20, ended 2026-02-05 (voluntary)
//   E  started 2025-10-01 at 4000
// Accounts: A and B in smb, E in enterprise.
let seq = 0
const billing = (customerId: string, type: BillingEvent['type'], occurredAt: string, extra: Record<string, unknown> = {}) =>
  ({ eventId: `mc-${++seq}`, customerId, occurredAt, kind: 'billing', type, currency: 'USD', ...extra }) as BillingEvent
const account = (customerId: string, occurredAt: string, fields: Partial<AccountEvent>) =>
  ({ eventId: `mca-${++seq}`, customerId, occurredAt, kind: 'account', ...fields }) as AccountEvent

const QUERY = { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }

describe('metrics routes over the in-memory cache', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await buildTestApi('metrics_cache')
    await withTransaction(api.db.pool, async (tx) => {
      await insertBillingEvents(tx, [
        billing('A', 'subscription_started', '2025-12-01T00:00:00Z', { mrr: 1000 }),
        billing('B', 'subscription_started', '2025-12-15T00:00:00Z', { mrr: 2000 }),
        billing('B', 'subscription_canceled', '2026-01-20T00:00:00Z', { reason: 'too_expensive', voluntary: true }),
        billing('B', 'subscription_ended', '2026-02-05T00:00:00Z', { reason: 'too_expensive', voluntary: true }),
        billing('E', 'subscription_started', '2025-10-01T00:00:00Z', { mrr: 4000 }),
      ])
      await insertAccountEvents(tx, [
        account('A', '2025-12-01T00:00:00Z', { segment: 'smb' }),
        account('B', '2025-12-15T00:00:00Z', { segment: 'smb' }),
        account('E', '2025-10-01T00:00:00Z', { segment: 'enterprise' }),
      ])
    })
  })
  afterAll(() => api.close())

  const churn = async (query: string) => {
    const response = await api.call('read', { method: 'GET', url: `/v1/metrics/churn?${query}` })
    expect(response.statusCode).toBe(200)
    return body<{ periods: Array<Record<string, unknown>>; groups: Array<{ group: string | null; periods: Array<Record<string, unknown>> }> }>(response)
  }
  const iso = (p: ChurnPeriod) => ({ ...p, start: new Date(p.start).toISOString(), end: new Date(p.end).toISOString() })
  // What the route computed before the cache: a storage read up to `to`, then the pure report.
  const uncached = async (from: string, to: string, groupBy?: 'segment' | 'interval') => {
    const histories = await readMetricsHistories(api.db.pool, { until: new Date(to), invoices: true, accounts: true })
    const report = churnReport(histories, { from: Date.parse(from), to: Date.parse(to), interval: 'month', ...(groupBy ? { groupBy } : {}) })
    return { periods: report.periods.map(iso), groups: report.groups.map((g) => ({ group: g.group, periods: g.periods.map(iso) })) }
  }

  it('sees a billing event committed after the first request, and answers what the uncached computation answers', async () => {
    const first = await churn(`from=${QUERY.from}&to=${QUERY.to}&interval=month`)
    // February: A 1000, B 2000 (canceling), E 4000 at start; B ends on the 5th.
    expect(first.periods[1]).toMatchObject({ period: '2026-02', customersAtStart: 3, mrrAtStart: 7000, churned: 1, churnedMrr: 2000, customersAtEnd: 2, mrrAtEnd: 5000 })
    expect(await churn(`from=${QUERY.from}&to=${QUERY.to}&interval=month`)).toEqual(first)

    await withTransaction(api.db.pool, (tx) => insertBillingEvents(tx, [billing('A', 'subscription_ended', '2026-02-15T00:00:00Z', { reason: 'no_value', voluntary: true })]))
    const second = await churn(`from=${QUERY.from}&to=${QUERY.to}&interval=month`)
    // A's end joins B's: 2 of 3 churned, 1000 + 2000 of MRR; only E (4000) is left.
    expect(second.periods[1]).toMatchObject({ period: '2026-02', customersAtStart: 3, churned: 2, churnedMrr: 3000, customersAtEnd: 1, mrrAtEnd: 4000 })
    expect(second.periods).toMatchObject((await uncached(QUERY.from, QUERY.to)).periods)
  })

  it('sees an account event committed after the first request in the groups', async () => {
    const before = await churn(`from=${QUERY.from}&to=${QUERY.to}&interval=month&groupBy=segment`)
    expect(before.groups.map((g) => [g.group, g.periods[0]?.customersAtStart])).toEqual([
      ['enterprise', 1],
      ['smb', 2],
    ])
    // E moves to smb before January: every January customer is smb.
    await withTransaction(api.db.pool, (tx) => insertAccountEvents(tx, [account('E', '2025-12-20T00:00:00Z', { segment: 'smb' })]))
    const after = await churn(`from=${QUERY.from}&to=${QUERY.to}&interval=month&groupBy=segment`)
    expect(after.groups.map((g) => [g.group, g.periods[0]?.customersAtStart, g.periods[0]?.mrrAtStart])).toEqual([['smb', 3, 7000]])
    const expected = await uncached(QUERY.from, QUERY.to, 'segment')
    expect(after.periods).toMatchObject(expected.periods)
    expect(after.groups).toMatchObject(expected.groups)
  })

  it('cuts the kept timelines at an earlier `to` exactly as a read up to `to` would, and the retention table too', async () => {
    // Events after 2026-02-10 (A's end) exist; a range ending before it must not see them.
    const early = await churn('from=2026-01-01T00:00:00Z&to=2026-02-10T00:00:00Z&interval=month&groupBy=interval')
    const expected = await uncached('2026-01-01T00:00:00Z', '2026-02-10T00:00:00Z', 'interval')
    expect(early.periods).toMatchObject(expected.periods)
    expect(early.groups).toMatchObject(expected.groups)
    expect(early.periods[1]).toMatchObject({ period: '2026-02', churned: 1, customersAtEnd: 2 })

    const asOf = '2026-02-10T00:00:00.000Z'
    const response = await api.call('read', { method: 'GET', url: `/v1/metrics/retention?asOf=${asOf}&groupBy=segment` })
    expect(response.statusCode).toBe(200)
    const histories = await readMetricsHistories(api.db.pool, { until: new Date(Date.parse(asOf) + 1), invoices: true, accounts: true })
    const report = retentionReport(histories, { asOf: Date.parse(asOf), cohort: 'month', groupBy: 'segment' })
    const result = body<{ cohorts: unknown[]; groups: unknown[] }>(response)
    expect(result.cohorts).toEqual(report.cohorts)
    expect(result.groups).toEqual(report.groups)
    // A (December cohort) is still a customer on 2026-02-01; B canceling still counts.
    expect(result.cohorts).toContainEqual(expect.objectContaining({ cohort: '2025-12', size: 2, retained: [2, 2, 2] }))
  })
})
