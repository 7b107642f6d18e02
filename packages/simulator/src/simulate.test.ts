import { describe, expect, it } from 'vitest'
import { toNdjsonLines } from './serialize.js'
import { simulateBusiness } from './simulate.js'
import type { SimBillingEvent, SimEvent, SimulateOptions } from './types.js'

const SMALL: SimulateOptions = { customers: 200, months: 12, seed: 2025 }
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/
const BILLING_TYPES = new Set([
  'subscription_started',
  'subscription_changed',
  'invoice_paid',
  'payment_failed',
  'subscription_canceled',
  'subscription_ended',
  'subscription_reactivated',
])

// One run shared by the read-only checks below; each check walks the same array.
const sim = simulateBusiness(SMALL)
const events: SimEvent[] = [...sim.events()]
const truth = sim.truth()

/** Problems of one event against the rules of the v1 contract (design.md). */
function contractProblems(e: SimEvent): string[] {
  const problems: string[] = []
  const text = (value: unknown, min: number, max: number): boolean =>
    typeof value === 'string' && value.length >= min && value.length <= max
  const minorUnits = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0
  if (!text(e.eventId, 1, 128)) problems.push('eventId')
  if (!text(e.customerId, 1, 128)) problems.push('customerId')
  if (!ISO_Z.test(e.occurredAt) || Number.isNaN(Date.parse(e.occurredAt))) problems.push('occurredAt')
  if (e.kind === 'usage') {
    if (!text(e.action, 1, 64)) problems.push('action')
    if (typeof e.quantity !== 'number' || !Number.isFinite(e.quantity) || e.quantity < 0) problems.push('quantity')
    if (!text(e.userId, 1, 128)) problems.push('userId')
  } else if (e.kind === 'billing') {
    if (!BILLING_TYPES.has(e.type)) problems.push('type')
    if (e.currency !== 'USD') problems.push('currency')
    const needsMrr = e.type === 'subscription_started' || e.type === 'subscription_changed'
    if (needsMrr && !minorUnits(e.mrr)) problems.push('mrr')
    if (e.mrr !== undefined && !minorUnits(e.mrr)) problems.push('mrr')
    const needsAmount = e.type === 'invoice_paid' || e.type === 'payment_failed'
    if (needsAmount && !minorUnits(e.amount)) problems.push('amount')
    const describesChurn = e.type === 'subscription_canceled' || e.type === 'subscription_ended'
    if (describesChurn && (!text(e.reason, 1, 64) || typeof e.voluntary !== 'boolean')) problems.push('reason/voluntary')
  }
  return problems
}

describe('simulateBusiness', () => {
  it('gives byte-identical event streams for the same options', () => {
    const a = toNdjsonLines(events)
    const b = toNdjsonLines(simulateBusiness(SMALL).events())
    // One assertion at the end: an expect per line made this test the slowest of the unit suite.
    let count = 0
    let firstDifference: { line: number; expected: string; got: string | undefined } | undefined
    for (const line of a) {
      const other = b.next()
      if (!firstDifference && (other.done === true || other.value !== line)) firstDifference = { line: count + 1, expected: line, got: other.done === true ? undefined : other.value }
      count++
    }
    expect(firstDifference).toBeUndefined()
    expect(b.next().done).toBe(true)
    expect(count).toBe(events.length)
  })

  it('gives a different stream and truth for a different seed', () => {
    const other = simulateBusiness({ ...SMALL, seed: SMALL.seed + 1 })
    const first = (s: Iterable<SimEvent>): string => {
      const lines: string[] = []
      for (const line of toNdjsonLines(s)) {
        lines.push(line)
        if (lines.length === 500) break
      }
      return lines.join('')
    }
    expect(first(other.events())).not.toBe(first(events))
    expect(JSON.stringify(other.truth())).not.toBe(JSON.stringify(truth))
  })

  it('computes the same truth without generating usage as while streaming events', () => {
    const truthFirst = simulateBusiness(SMALL).truth()
    expect(truthFirst).toEqual(truth)
  })

  it('restarts the stream on every events() call', () => {
    const again = sim.events()
    expect(again.next().value).toEqual(events[0])
  })

  it('orders events by occurredAt', () => {
    const unordered = events.findIndex((e, i) => i > 0 && (events[i - 1] as SimEvent).occurredAt > e.occurredAt)
    expect(unordered).toBe(-1)
  })

  it('emits only events that satisfy the v1 contract, with unique eventIds', () => {
    const bad = events.map((e) => ({ e, problems: contractProblems(e) })).filter((x) => x.problems.length > 0)
    expect(bad.slice(0, 3)).toEqual([])
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length)
    expect(events.every((e) => /^c-\d{6}$/.test(e.customerId))).toBe(true)
    expect(events.every((e) => (e.kind === 'usage' ? /^u-\d+$/ : /^b-\d+$/).test(e.eventId))).toBe(true)
  })

  it('emits every kind of billing event and the whole usage vocabulary', () => {
    const types = new Set(events.flatMap((e) => (e.kind === 'billing' ? [e.type] : [])))
    const actions = new Set(events.flatMap((e) => (e.kind === 'usage' ? [e.action] : [])))
    expect([...types].sort()).toEqual([...BILLING_TYPES].sort())
    expect([...actions].sort()).toEqual(
      ['api_call', 'dashboard_viewed', 'login', 'report_exported', 'seat_added', 'seat_removed', 'support_ticket_opened'].sort(),
    )
  })

  it('keeps every customer lifecycle consistent with the events and the truth', () => {
    type Life = { started: boolean; active: boolean; canceled: boolean; lastEnd: string | null; startedAt: string }
    const lives = new Map<string, Life>()
    const problems: string[] = []
    for (const e of events) {
      if (e.kind === 'account') continue
      const life = lives.get(e.customerId)
      const where = `${e.customerId} ${e.eventId}`
      if (e.kind === 'billing' && e.type === 'subscription_started') {
        if (life) problems.push(`${where}: second start`)
        lives.set(e.customerId, { started: true, active: true, canceled: false, lastEnd: null, startedAt: e.occurredAt })
        continue
      }
      if (!life) {
        problems.push(`${where}: event before subscription_started`)
        continue
      }
      if (e.kind === 'usage' || e.type === 'invoice_paid' || e.type === 'payment_failed' || e.type === 'subscription_changed') {
        if (!life.active) problems.push(`${where}: ${e.kind === 'usage' ? e.action : e.type} while not active`)
      } else if (e.type === 'subscription_canceled') {
        if (!life.active || life.canceled) problems.push(`${where}: cancel while not active or already canceled`)
        life.canceled = true
      } else if (e.type === 'subscription_ended') {
        if (!life.active) problems.push(`${where}: end while not active`)
        if (e.voluntary === true && !life.canceled) problems.push(`${where}: voluntary end without cancel`)
        if (e.voluntary === false && e.reason !== 'payment_failed') problems.push(`${where}: involuntary reason`)
        life.active = false
        life.canceled = false
        life.lastEnd = e.occurredAt
      } else if (e.type === 'subscription_reactivated') {
        if (life.active && !life.canceled) problems.push(`${where}: reactivated while active and not canceled`)
        life.active = true
        life.canceled = false
      }
    }
    expect(problems.slice(0, 5)).toEqual([])
    expect(lives.size).toBe(SMALL.customers)
    for (const t of truth) {
      const life = lives.get(t.customerId)
      expect(life?.startedAt).toBe(t.startedAt)
      expect(t.endedAt).toBe(life?.active ? null : life?.lastEnd)
      expect(t.voluntary === null).toBe(t.endedAt === null)
      expect(t.churns.at(-1)?.endedAt ?? null).toBe(life?.lastEnd ?? null)
    }
  })

  it('ends a voluntary churn on the reason given at cancellation, some days later', () => {
    const canceled = new Map<string, SimBillingEvent>()
    let checked = 0
    for (const e of events) {
      if (e.kind !== 'billing') continue
      if (e.type === 'subscription_canceled') canceled.set(e.customerId, e)
      if (e.type === 'subscription_reactivated') canceled.delete(e.customerId)
      if (e.type === 'subscription_ended' && e.voluntary === true) {
        const cancel = canceled.get(e.customerId)
        expect(cancel?.reason).toBe(e.reason)
        const days = (Date.parse(e.occurredAt) - Date.parse(cancel?.occurredAt ?? '')) / 86_400_000
        expect(days).toBeGreaterThan(0)
        expect(days).toBeLessThanOrEqual(32)
        canceled.delete(e.customerId)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(5)
  })

  it('bills invoice_paid with amount equal to the mrr in force', () => {
    const mrr = new Map<string, number>()
    const mismatches: string[] = []
    for (const e of events) {
      if (e.kind !== 'billing') continue
      if (e.mrr !== undefined) mrr.set(e.customerId, e.mrr)
      if (e.type === 'invoice_paid' && e.amount !== mrr.get(e.customerId)) mismatches.push(e.eventId)
    }
    expect(mismatches).toEqual([])
  })

  it('lists each active customer once per month start in the truth, with probabilities in [0, 1]', () => {
    const monthStarts = new Set(truth.flatMap((t) => t.monthly.map((m) => m.monthStart)))
    expect([...monthStarts].sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}-01T00:00:00Z`),
    )
    for (const t of truth) {
      expect(new Set(t.monthly.map((m) => m.monthStart)).size).toBe(t.monthly.length)
      for (const m of t.monthly) {
        expect(m.trueChurnProbability90d).toBeGreaterThanOrEqual(0)
        expect(m.trueChurnProbability90d).toBeLessThanOrEqual(1)
        expect(m.monthStart >= t.startedAt).toBe(true)
      }
    }
    expect(sim.start).toBe('2025-01-01T00:00:00Z')
    expect(sim.end).toBe('2026-01-01T00:00:00Z')
  })

  it('scales usage volume with eventsPerActiveUserPerDay and leaves billing unchanged', () => {
    const count = (eventsPerActiveUserPerDay: number) => {
      const counts = { usage: 0, billing: 0, account: 0 }
      for (const e of simulateBusiness({ customers: 50, months: 3, seed: 1, eventsPerActiveUserPerDay }).events()) {
        counts[e.kind]++
      }
      return counts
    }
    const low = count(0.25)
    const high = count(3)
    expect(high.usage / low.usage).toBeGreaterThan(8)
    expect(high.billing).toBe(low.billing)
  })

  it('rejects invalid options with a RangeError naming them', () => {
    expect(() => simulateBusiness({ customers: -1, months: 0, seed: 1 })).toThrow(/customers.*months/)
    expect(() => simulateBusiness({ customers: 1, months: 1, seed: 1, start: '2025-01-01T10:00:00Z' })).toThrow(RangeError)
  })
})
