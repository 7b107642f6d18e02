import type { BillingRecord } from '@churnwatch/features'
import { describe, expect, it } from 'vitest'
import { binomialUpperTail, churnSpikeTest, logGamma, scanChurnSpikes } from './spike.js'
import type { BillingHistory } from './timeline.js'

const at = (iso: string): number => Date.parse(iso)

describe('binomialUpperTail', () => {
  it('matches a hand-computed binomial tail', () => {
    // X ~ Bin(10, 0.1): P(X <= 3) = 0.9^10 + 10(0.1)(0.9^9) + 45(0.01)(0.9^8) + 120(0.001)(0.9^7)
    //   = 0.3486784401 + 0.387420489 + 0.1937102445 + 0.057395628 = 0.9872048016, so P(X >= 4) = 0.0127951984.
    expect(binomialUpperTail(10, 0.1, 4)).toBeCloseTo(0.0127951984, 10)
    expect(binomialUpperTail(10, 0.1, 0)).toBe(1)
    expect(binomialUpperTail(10, 0.1, 11)).toBe(0)
    // 0.1^10 = 1e-10: all ten.
    expect(binomialUpperTail(10, 0.1, 10)).toBeCloseTo(1e-10, 20)
  })

  it('stays exact for a large base where (1 - p)^n underflows', () => {
    // Bin(100000, 0.02) has mean 2000 and sd 44.27; 0.98^100000 = e^-2020 underflows a double.
    // Reference from an independent sum of exp(lgamma) terms: 0.012768717510156936.
    expect(binomialUpperTail(100_000, 0.02, 2100)).toBeCloseTo(0.0127687175, 8)
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10)
  })
})

describe('churnSpikeTest', () => {
  it('scales the baseline rate by the elapsed share of the period and flags a significant rise', () => {
    // Baseline 6 churned of 585 customer-months: p0 = 0.0102564; 14 of March's 31 days elapsed:
    // p = p0 x 14/31 = 0.0046319; expected = 94 x p = 0.4354; P(X >= 4) = 0.0010074.
    const input = { customersAtStart: 94, churned: 4, baselineCustomersAtStart: 585, baselineChurned: 6, elapsedShare: 14 / 31 }
    const test = churnSpikeTest(input, { level: 0.01, minChurned: 3 })
    expect(test?.spike).toBe(true)
    expect(test?.pValue).toBeCloseTo(0.001007386614, 9)
    expect(test?.expectedChurned).toBeCloseTo(0.435401158, 8)
    expect(test?.baselineRate).toBeCloseTo(0.010256410, 8)
    expect(test?.rate).toBeCloseTo(4 / 94, 12)
    // One churn is within the baseline: P(X >= 1) = 0.3536.
    const calm = churnSpikeTest({ ...input, churned: 1 }, { level: 0.01, minChurned: 3 })
    expect(calm?.pValue).toBeCloseTo(0.353649050, 8)
    expect(calm?.spike).toBe(false)
    // Significant, but below the minimum count.
    expect(churnSpikeTest(input, { level: 0.01, minChurned: 5 })?.spike).toBe(false)
    expect(churnSpikeTest({ ...input, baselineCustomersAtStart: 0, baselineChurned: 0 }, { level: 0.01, minChurned: 3 })).toBeNull()
  })
})

const record = (eventId: string, iso: string, type: BillingRecord['type'], extra: Partial<BillingRecord> = {}): BillingRecord => ({
  eventId,
  occurredAt: at(iso),
  type,
  ...extra,
})

/** 100 customers started 2025-08-01; one ends mid-month every month Sep-Feb; `marchChurn` end March 2-5. */
function base(marchChurn: number): BillingHistory[] {
  const months = ['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02']
  return Array.from({ length: 100 }, (_, i) => {
    const id = `c${String(i).padStart(3, '0')}`
    const billing = [record(`${id}-s`, '2025-08-01T00:00:00Z', 'subscription_started', { mrr: 1000 })]
    if (i < months.length) billing.push(record(`${id}-e`, `${months[i] ?? ''}-15T00:00:00Z`, 'subscription_ended'))
    else if (i < months.length + marchChurn) billing.push(record(`${id}-e`, `2026-03-0${i - months.length + 2}T00:00:00Z`, 'subscription_ended'))
    return { customerId: id, billing }
  })
}

describe('scanChurnSpikes', () => {
  const scan = {
    asOf: at('2026-03-15T00:00:00Z'),
    baselinePeriods: 6,
    intervals: ['month'] as const,
    level: 0.01,
    minChurned: 3,
    minSegmentCustomers: 50,
    // c000-c039 are smb (40 customers: too few to test alone); the rest have no segment.
    segmentOf: (id: string) => (Number(id.slice(1)) < 40 ? 'smb' : null),
  }

  it('flags month-to-date churn of 4 against a trailing six-month baseline of 6 in 585', () => {
    const results = scanChurnSpikes(base(4), scan)
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({
      interval: 'month',
      segment: null,
      periodStart: at('2026-03-01T00:00:00Z'),
      customersAtStart: 94,
      churned: 4,
      churnedMrr: 4000,
      spike: true,
    })
    expect(results[0]?.pValue).toBeCloseTo(0.001007386614, 9)
  })

  it('does not flag one churn, and tests a segment once it has enough customers', () => {
    expect(scanChurnSpikes(base(1), scan).map((r) => r.spike)).toEqual([false])
    // smb: 40 customers, 6 ended Sep-Feb (34 at March start) and the 4 March churns are smb too.
    const results = scanChurnSpikes(base(4), { ...scan, minSegmentCustomers: 30 })
    expect(results.map((r) => [r.segment, r.customersAtStart, r.churned])).toEqual([
      [null, 94, 4],
      ['smb', 34, 4],
    ])
  })
})
