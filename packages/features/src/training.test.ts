import type { ChurnEvent } from '@churnwatch/contract'
import { describe, expect, it } from 'vitest'
import { defineFeatureSet } from './feature-set.js'
import { historyFromEvents } from './fold.js'
import { planObservations, trainingExamples } from './training.js'

const day = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
const T0 = Date.parse('2026-01-01T00:00:00Z')
const FEATURES = defineFeatureSet(['login'])

function business(endAt: number, extra: ChurnEvent[] = []): ChurnEvent[] {
  const events: ChurnEvent[] = [
    { eventId: 's', customerId: 'c', occurredAt: iso(T0), kind: 'billing', type: 'subscription_started', mrr: 1000 },
    { eventId: 'e', customerId: 'c', occurredAt: iso(endAt), kind: 'billing', type: 'subscription_ended', voluntary: true },
  ]
  for (let d = 0; d < 300; d += 3) {
    events.push({ eventId: `u${d}`, customerId: 'c', occurredAt: iso(T0 + d * day + 3_600_000), kind: 'usage', action: 'login', quantity: 1, userId: `u${d % 4}` })
  }
  return [...events, ...extra]
}

describe('planObservations', () => {
  it('ends one horizon before asOf (floored to midnight) and steps back by the interval', () => {
    const plan = planObservations({ asOf: '2026-12-31T15:00:00Z', earliest: '2026-06-01T00:00:00Z', intervalDays: 30 })
    expect(plan.dates.map(iso)).toEqual([
      '2026-06-04T00:00:00.000Z',
      '2026-07-04T00:00:00.000Z',
      '2026-08-03T00:00:00.000Z',
      '2026-09-02T00:00:00.000Z',
      '2026-10-02T00:00:00.000Z',
    ])
  })
})

describe('trainingExamples', () => {
  const plan = planObservations({ asOf: iso(T0 + 400 * day), earliest: iso(T0), intervalDays: 30 })

  it('labels an observation 1 exactly when the subscription ends within the next 90 days, and skips inactive dates', () => {
    const examples = trainingExamples(historyFromEvents('c', business(T0 + 200 * day)), plan, FEATURES)
    const labelled = examples.map((e) => [Math.round((e.observedAt - T0) / day), e.label])
    // Dates fall every 30 days back from day 310 (asOf - 90 d); only those before the end at
    // day 200 are active, and the end lies within 90 days after days 130, 160 and 190.
    expect(labelled).toEqual([
      [10, 0],
      [40, 0],
      [70, 0],
      [100, 0],
      [130, 1],
      [160, 1],
      [190, 1],
    ])
  })

  it('does not leak: changing any event after an observation date changes neither its features nor, beyond the horizon, its label', () => {
    const base = trainingExamples(historyFromEvents('c', business(T0 + 200 * day)), plan, FEATURES)
    for (const example of base) {
      const t = example.observedAt
      const noise: ChurnEvent[] = [
        { eventId: 'late-usage', customerId: 'c', occurredAt: iso(t + 1), kind: 'usage', action: 'login', quantity: 500, userId: 'x' },
        { eventId: 'late-fail', customerId: 'c', occurredAt: iso(t + day), kind: 'billing', type: 'payment_failed' },
        { eventId: 'late-change', customerId: 'c', occurredAt: iso(t + 1), kind: 'billing', type: 'subscription_changed', mrr: 1 },
      ]
      const changed = trainingExamples(historyFromEvents('c', business(T0 + 200 * day, noise)), { dates: [t], horizonDays: 90 }, FEATURES)
      expect(changed[0]?.features).toEqual(example.features)
      expect(changed[0]?.label).toBe(example.label)
      // Moving the end beyond this observation's horizon flips only labels whose window held it.
      const endLater = trainingExamples(historyFromEvents('c', business(t + 91 * day)), { dates: [t], horizonDays: 90 }, FEATURES)
      expect(endLater[0]?.features).toEqual(example.features)
      expect(endLater[0]?.label).toBe(0)
    }
  })
})
