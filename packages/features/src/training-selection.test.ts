import type { ChurnEvent } from '@churnwatch/contract'
import { describe, expect, it } from 'vitest'
import { defineFeatureSet } from './feature-set.js'
import { historyFromEvents } from './fold.js'
import { createSelectingCollector } from './training-selection.js'
import { trainingExamples, type ObservationPlan } from './training.js'

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
const T0 = Date.parse('2025-01-01T00:00:00Z')
// Two training dates and one holdout date, 30 days apart.
const PLAN: ObservationPlan = { dates: [T0 + 120 * DAY, T0 + 150 * DAY, T0 + 180 * DAY], horizonDays: 90 }
const HOLDOUT_FROM = T0 + 180 * DAY

type Group = 'plain' | 'unfriend' | 'confetti' | 'rage_quit'

/** 200 customers: 8 use 'unfriend' early and churn after the last training date; 8 use 'confetti' and stay; 8 use 'rage_quit' only after it and churn after the holdout date. */
function customers() {
  return Array.from({ length: 200 }, (_, i) => {
    const group: Group = i < 8 ? 'unfriend' : i < 16 ? 'confetti' : i < 24 ? 'rage_quit' : 'plain'
    const id = `c${i}`
    const usage = (n: number, at: number, action: string): ChurnEvent =>
      ({ eventId: `${id}-u${n}`, customerId: id, occurredAt: iso(at), kind: 'usage', action, quantity: 1 })
    const events: ChurnEvent[] = [
      { eventId: `${id}-s`, customerId: id, occurredAt: iso(T0), kind: 'billing', type: 'subscription_started', mrr: 1000 },
      ...Array.from({ length: 20 }, (_, d) => usage(d, T0 + (d * 9 + (i % 5)) * DAY + 3_600_000, 'login')),
    ]
    if (group === 'unfriend' || group === 'confetti') events.push(usage(100, T0 + 40 * DAY, group), usage(101, T0 + 41 * DAY, group))
    if (group === 'rage_quit') events.push(usage(100, T0 + 160 * DAY, group), usage(101, T0 + 170 * DAY, group))
    const endAt = group === 'unfriend' ? T0 + 200 * DAY : group === 'rage_quit' ? T0 + 250 * DAY : null
    if (endAt !== null) events.push({ eventId: `${id}-e`, customerId: id, occurredAt: iso(endAt), kind: 'billing', type: 'subscription_ended', voluntary: true })
    return historyFromEvents(id, events)
  })
}

describe('createSelectingCollector', () => {
  it('keeps a rare action with signal and drops a rare one without, tallying training rows only', () => {
    const histories = customers()
    const collector = createSelectingCollector({ selectBefore: HOLDOUT_FROM })
    for (const h of histories) collector.add(h, PLAN)
    const { featureSet, examples, selection } = collector.finish()
    // Tallied at each customer's last training row (day 150): 200 customers, the 8 'unfriend' users churn within 90 days.
    expect(selection.tallied).toEqual({ customers: 200, churned: 8 })
    expect(selection.selected.map((s) => [s.action, s.reason])).toEqual([
      ['login', 'common'],
      ['unfriend', 'signal'],
    ])
    // 'confetti': 8 users, none churned (0 % against 8 / 192): z = -0.59, rare: dropped. 'rage_quit' was
    // used only after the last training date: no candidate at all.
    expect(selection).toMatchObject({ candidates: 3, droppedRare: 1 })
    expect(featureSet.trackedActions).toEqual(['login', 'unfriend'])
    expect(featureSet.names).toContain('action_lifetime:unfriend')
    expect(featureSet.names).toContain('action_per_month:unfriend')
    // Every example holds exactly what the serving code computes with the chosen set.
    expect(examples).toEqual(histories.flatMap((h) => trainingExamples(h, PLAN, featureSet)))
    // Every customer is still active at the holdout date (the earliest end is day 200).
    expect(examples).toHaveLength(600)
  })

  it('would choose the holdout-only action if holdout rows were tallied (the test above can fail)', () => {
    const collector = createSelectingCollector({ selectBefore: Number.POSITIVE_INFINITY })
    for (const h of customers()) collector.add(h, PLAN)
    expect(collector.finish().selection.selected.map((s) => s.action)).toContain('rage_quit')
  })

  it('gives the same examples as a fixed feature set with the same actions', () => {
    const histories = customers().slice(0, 30)
    const collector = createSelectingCollector({ selectBefore: HOLDOUT_FROM, rule: { cap: 1, commonShare: 0, commonMinCustomers: 1, signalZ: 3, signalMinCustomers: 5 } })
    for (const h of histories) collector.add(h, PLAN)
    const { featureSet, examples } = collector.finish()
    // The cap of 1 keeps the signal action 'unfriend' over the more used 'login', which has none.
    expect(featureSet.trackedActions).toEqual(['unfriend'])
    expect(examples).toEqual(histories.flatMap((h) => trainingExamples(h, PLAN, defineFeatureSet(['unfriend']))))
  })
})
