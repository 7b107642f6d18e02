import { describe, expect, it } from 'vitest'
import { simulateBusiness } from './simulate.js'
import type { CustomerTruth } from './types.js'

const DAY_MS = 86_400_000
const HORIZON_MS = 90 * DAY_MS

// Statistical checks on a 1000-customer year (truth only, no usage: fast) and a 300-customer year
// with events. Seeds are fixed, so the figures are stable; the bounds leave room for other seeds.
const business = simulateBusiness({ customers: 1000, months: 12, seed: 11 })
const truth = business.truth()
const endMs = Date.parse(business.end)

function churnedWithin(t: CustomerTruth, fromMs: number, toMs: number): boolean {
  return t.churns.some((c) => {
    const at = Date.parse(c.endedAt)
    return at >= fromMs && at < toMs
  })
}

describe('simulated churn', () => {
  it('churns between 1% and 8% of active customers a month', () => {
    const perMonth = new Map<string, { active: number; churned: number }>()
    for (const t of truth) {
      for (const m of t.monthly) {
        const month = perMonth.get(m.monthStart.slice(0, 7)) ?? { active: 0, churned: 0 }
        month.active++
        perMonth.set(m.monthStart.slice(0, 7), month)
      }
    }
    for (const c of truth.flatMap((t) => t.churns)) {
      const month = perMonth.get(c.endedAt.slice(0, 7))
      if (month) month.churned++
    }
    const rates = [...perMonth.values()].map((m) => m.churned / m.active).sort((a, b) => a - b)
    const overall =
      [...perMonth.values()].reduce((s, m) => s + m.churned, 0) / [...perMonth.values()].reduce((s, m) => s + m.active, 0)
    expect(overall).toBeGreaterThan(0.01)
    expect(overall).toBeLessThan(0.08)
    expect(rates[Math.floor(rates.length / 2)]).toBeGreaterThan(0.01)
    expect(rates.at(-1)).toBeLessThan(0.08)
  })

  it('has an involuntary (failed payment) share of churn between 10% and 50%', () => {
    const churns = truth.flatMap((t) => t.churns)
    const involuntary = churns.filter((c) => !c.voluntary)
    expect(involuntary.every((c) => c.reason === 'payment_failed')).toBe(true)
    expect(involuntary.length / churns.length).toBeGreaterThan(0.1)
    expect(involuntary.length / churns.length).toBeLessThan(0.5)
  })

  it('brings some churned customers back', () => {
    const comebacks = truth.filter((t) => t.churns.length > 0 && (t.endedAt === null || t.churns.length > 1))
    expect(comebacks.length).toBeGreaterThan(3)
  })

  it('churns customers in onboarding (first 90 days) more often than customers past their first year', () => {
    const rateByTenure = (minDays: number, maxDays: number): number => {
      const outcomes = truth.flatMap((t) =>
        t.monthly
          .filter((m) => {
            const at = Date.parse(m.monthStart)
            const tenureDays = (at - Date.parse(t.startedAt)) / DAY_MS
            return tenureDays >= minDays && tenureDays < maxDays && at + HORIZON_MS <= endMs
          })
          .map((m) => churnedWithin(t, Date.parse(m.monthStart), Date.parse(m.monthStart) + HORIZON_MS)),
      )
      return outcomes.filter(Boolean).length / outcomes.length
    }
    expect(rateByTenure(0, 90) / rateByTenure(365, Number.POSITIVE_INFINITY)).toBeGreaterThan(1.5)
  })

  it('gives true probabilities that rank and roughly calibrate actual 90-day churn', () => {
    const rows = truth.flatMap((t) =>
      t.monthly
        .filter((m) => Date.parse(m.monthStart) + HORIZON_MS <= endMs)
        .map((m) => {
          const at = Date.parse(m.monthStart)
          return { p: m.trueChurnProbability90d, churned: churnedWithin(t, at, at + HORIZON_MS) }
        }),
    )
    rows.sort((a, b) => a.p - b.p)
    const rate = (xs: typeof rows): number => xs.filter((r) => r.churned).length / xs.length
    const bottomHalf = rate(rows.slice(0, Math.floor(rows.length / 2)))
    const topDecile = rate(rows.slice(Math.floor(rows.length * 0.9)))
    expect(topDecile).toBeGreaterThan(6 * bottomHalf)
    const predicted = rows.reduce((s, r) => s + r.p, 0) / rows.length
    expect(predicted / rate(rows)).toBeGreaterThan(0.67)
    expect(predicted / rate(rows)).toBeLessThan(1.5)
  })
})

describe('simulated usage', () => {
  const sim = simulateBusiness({ customers: 300, months: 12, seed: 5 })
  const productUsage = new Map<string, number[]>()
  const perMonth = new Map<string, number>()
  for (const e of sim.events()) {
    if (e.kind !== 'usage' || e.action.startsWith('seat_') || e.action === 'support_ticket_opened') continue
    const at = Date.parse(e.occurredAt)
    const list = productUsage.get(e.customerId) ?? []
    list.push(at)
    productUsage.set(e.customerId, list)
    perMonth.set(e.occurredAt.slice(0, 7), (perMonth.get(e.occurredAt.slice(0, 7)) ?? 0) + 1)
  }
  const simTruth = sim.truth()

  it('fades in the weeks before a voluntary churn', () => {
    let lastFourWeeks = 0
    let threeMonthsBefore = 0
    let churners = 0
    for (const t of simTruth) {
      const churn = t.churns[0]
      if (!churn?.voluntary) continue
      const end = Date.parse(churn.endedAt)
      if (end - 112 * DAY_MS < Date.parse(t.startedAt) || end - 112 * DAY_MS < Date.parse(sim.start)) continue
      const times = productUsage.get(t.customerId) ?? []
      lastFourWeeks += times.filter((at) => at >= end - 28 * DAY_MS && at < end).length
      threeMonthsBefore += times.filter((at) => at >= end - 112 * DAY_MS && at < end - 84 * DAY_MS).length
      churners++
    }
    expect(churners).toBeGreaterThan(5)
    expect(lastFourWeeks / threeMonthsBefore).toBeLessThan(0.4)
  })

  it('is lower in August and December than in the months around them, per active customer', () => {
    const active = new Map<string, number>()
    for (const t of simTruth) for (const m of t.monthly) active.set(m.monthStart.slice(0, 7), (active.get(m.monthStart.slice(0, 7)) ?? 0) + 1)
    const perCustomer = (month: string): number => (perMonth.get(month) ?? 0) / (active.get(month) ?? 1)
    expect(perCustomer('2025-08')).toBeLessThan(0.85 * ((perCustomer('2025-06') + perCustomer('2025-10')) / 2))
    expect(perCustomer('2025-12')).toBeLessThan(0.85 * perCustomer('2025-10'))
  })
})
