import { churnMetrics } from './churn.js'
import { addPeriods, periodStartOf, type ChurnInterval } from './periods.js'
import type { BillingHistory } from './timeline.js'

// The churn rate's own alarm (ADR 0016): is this period's churn so far significantly above what the
// trailing baseline rate predicts for the share of the period elapsed?

/** Natural log of Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-13). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  const z = x - 1
  let sum = c[0] ?? 0
  for (let i = 1; i < 9; i++) sum += (c[i] ?? 0) / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

/**
 * One-sided binomial upper tail P(X >= x) for X ~ Binomial(n, p): the p-value of x churns among n
 * customers when each churns with probability p. Summed from x upwards in log space, so large n
 * (where (1 - p)^n underflows) stays exact to double precision.
 */
export function binomialUpperTail(n: number, p: number, x: number): number {
  if (x <= 0) return 1
  if (x > n) return 0
  if (p <= 0) return 0
  if (p >= 1) return 1
  const logTerm = logGamma(n + 1) - logGamma(x + 1) - logGamma(n - x + 1) + x * Math.log(p) + (n - x) * Math.log(1 - p)
  let term = Math.exp(logTerm)
  let sum = term
  const odds = p / (1 - p)
  for (let k = x; k < n; k++) {
    term *= ((n - k) / (k + 1)) * odds
    sum += term
    if (term < sum * 1e-17) break
  }
  return Math.min(1, sum)
}

export interface ChurnSpikeOptions {
  /** Significance level: a spike needs a p-value below it. */
  level: number
  /** Fewest churned customers in the period for a spike (a tiny base can be "significant" on one churn). */
  minChurned: number
}

export interface ChurnSpikeInput {
  /** Customers active at the current period's start (the binomial n). */
  customersAtStart: number
  /** Of them, ended so far in the period. */
  churned: number
  /** Summed over the trailing complete periods. */
  baselineCustomersAtStart: number
  baselineChurned: number
  /** The share of the current period elapsed at the test, in (0, 1]. */
  elapsedShare: number
}

export interface ChurnSpikeTest {
  rate: number
  baselineRate: number
  expectedChurned: number
  pValue: number
  spike: boolean
}

/**
 * The one-sided binomial test of a period-to-date churn count against the trailing baseline:
 * p0 = baselineChurned / baselineCustomersAtStart per full period, scaled by the elapsed share
 * (churn assumed uniform over a period); pValue = P(X >= churned), X ~ Bin(customersAtStart,
 * p0 x elapsedShare). A spike when pValue < level and churned >= minChurned. Null without a base.
 */
export function churnSpikeTest(input: ChurnSpikeInput, options: ChurnSpikeOptions): ChurnSpikeTest | null {
  const { customersAtStart: n, churned: x, baselineCustomersAtStart, baselineChurned } = input
  if (n === 0 || baselineCustomersAtStart === 0) return null
  const share = Math.min(1, Math.max(0, input.elapsedShare))
  const baselineRate = baselineChurned / baselineCustomersAtStart
  const p = Math.min(1, baselineRate * share)
  const pValue = binomialUpperTail(n, p, x)
  return { rate: x / n, baselineRate, expectedChurned: n * p, pValue, spike: pValue < options.level && x >= options.minChurned }
}

export interface ChurnSpikeScan extends ChurnSpikeOptions {
  asOf: number
  /** Trailing complete periods the baseline sums. */
  baselinePeriods: number
  intervals: readonly Extract<ChurnInterval, 'month' | 'week'>[]
  /** A segment is tested only with at least this many customers active at the period start. */
  minSegmentCustomers: number
  /** The segment of a customer (as of the scan); null = none, tested only in the whole base. */
  segmentOf: (customerId: string) => string | null
}

export interface ChurnSpikeResult extends ChurnSpikeTest {
  interval: 'month' | 'week'
  /** null = the whole base. */
  segment: string | null
  periodStart: number
  customersAtStart: number
  churned: number
  /** MRR just before the end of the customers counted in `churned`. */
  churnedMrr: number
}

/**
 * Tests the period-to-date churn of the whole base and of every segment with enough customers,
 * for each interval, against its trailing baseline (churn counted at subscription_ended, as the
 * metrics define it). Returns every test that could run, spike or not, whole base first.
 */
export function scanChurnSpikes(histories: readonly (BillingHistory & { customerId: string })[], scan: ChurnSpikeScan): ChurnSpikeResult[] {
  const groups = new Map<string | null, Array<BillingHistory & { customerId: string }>>([[null, [...histories]]])
  for (const h of histories) {
    const segment = scan.segmentOf(h.customerId)
    if (segment === null) continue
    const list = groups.get(segment) ?? []
    list.push(h)
    groups.set(segment, list)
  }
  const results: ChurnSpikeResult[] = []
  for (const interval of scan.intervals) {
    const currentStart = periodStartOf(scan.asOf, interval)
    const from = addPeriods(currentStart, interval, -scan.baselinePeriods)
    const elapsedShare = (scan.asOf - currentStart) / (addPeriods(currentStart, interval, 1) - currentStart)
    for (const [segment, group] of [...groups].sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : a < b ? -1 : a > b ? 1 : 0))) {
      // `to` is exclusive: events at asOf itself count.
      const periods = churnMetrics(group, { from, to: scan.asOf + 1, interval })
      const current = periods[periods.length - 1]
      if (!current || current.start !== currentStart) continue
      if (segment !== null && current.customersAtStart < scan.minSegmentCustomers) continue
      const baseline = periods.slice(0, -1)
      const test = churnSpikeTest(
        {
          customersAtStart: current.customersAtStart,
          churned: current.churned,
          baselineCustomersAtStart: baseline.reduce((sum, p) => sum + p.customersAtStart, 0),
          baselineChurned: baseline.reduce((sum, p) => sum + p.churned, 0),
          elapsedShare,
        },
        scan,
      )
      if (!test) continue
      results.push({ ...test, interval, segment, periodStart: currentStart, customersAtStart: current.customersAtStart, churned: current.churned, churnedMrr: current.churnedMrr })
    }
  }
  return results
}
