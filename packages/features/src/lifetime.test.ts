import type { ChurnEvent } from '@churnwatch/contract'
import { describe, expect, it } from 'vitest'
import { computeFeatures } from './compute.js'
import { describeFeature } from './definitions.js'
import { defineFeatureSet } from './feature-set.js'
import { historyFromEvents } from './fold.js'
import type { CustomerHistory } from './history.js'

const usage = (eventId: string, occurredAt: string, action: string): ChurnEvent =>
  ({ eventId, customerId: 'acme', occurredAt, kind: 'usage', action, quantity: 1 })
const started = (occurredAt: string): ChurnEvent =>
  ({ eventId: 'start', customerId: 'acme', occurredAt, kind: 'billing', type: 'subscription_started', mrr: 4900 })

const SET = defineFeatureSet(['unfriend', 'login'])
const AS_OF = '2026-04-01T12:00:00Z'

describe('lifetime and per-month action counts', () => {
  it('counts every complete day before asOf’s day over the whole tenure, never asOf’s own day or later', () => {
    const events = [
      started('2025-04-01T00:00:00Z'),
      usage('u1', '2025-04-02T10:00:00Z', 'unfriend'), // a year back: far outside every window
      usage('u2', '2025-10-01T10:00:00Z', 'unfriend'),
      usage('u3', '2026-03-31T23:59:59Z', 'unfriend'), // age 1: counted
      usage('u4', '2026-04-01T00:00:00Z', 'unfriend'), // asOf's day, before asOf: not yet
      usage('u5', '2026-04-01T13:00:00Z', 'unfriend'), // after asOf
      usage('u6', '2026-06-01T00:00:00Z', 'unfriend'), // future
      usage('u7', '2025-12-01T10:00:00Z', 'login'),
    ]
    const { values } = computeFeatures(historyFromEvents('acme', events), AS_OF, SET)
    // Tenure 365.5 days = 12.0082 months; 3 'unfriend' events: 0.2498 a month; 4 events in all: 0.3331.
    expect(values).toMatchObject({
      'action_30d:unfriend': 1,
      'action_lifetime:unfriend': 3,
      'action_per_month:unfriend': 0.2498,
      'action_lifetime:login': 1,
      'action_per_month:login': 0.0833,
      events_per_month_lifetime: 0.3331,
      actions_used_lifetime: 2,
    })
  })

  it('divides by at least one month for a customer in its first weeks', () => {
    const events = [started('2026-03-22T12:00:00Z'), ...[1, 2, 3, 4, 5, 6].map((i) => usage(`u${i}`, '2026-03-25T10:00:00Z', 'unfriend'))]
    const { values } = computeFeatures(historyFromEvents('acme', events), AS_OF, SET)
    // 10 days of tenure would read as 18.3 a month; the one-month floor gives 6.
    expect(values.tenure_days).toBe(10)
    expect(values).toMatchObject({ 'action_lifetime:unfriend': 6, 'action_per_month:unfriend': 6, events_per_month_lifetime: 6 })
    // Before any start (tenure 0) the floor holds too.
    const unstarted = computeFeatures(historyFromEvents('acme', events.slice(1)), AS_OF, SET).values
    expect(unstarted['action_per_month:unfriend']).toBe(6)
  })

  it('reads the same from collapsed buckets before the scoring window as from every bucket', () => {
    const full: CustomerHistory = {
      customerId: 'acme',
      users: [],
      billing: historyFromEvents('acme', [started('2025-01-01T00:00:00Z')]).billing,
      activity: [
        { day: '2025-02-01', action: 'unfriend', eventCount: 2, quantity: 2 },
        { day: '2025-06-01', action: 'unfriend', eventCount: 1, quantity: 1 },
        { day: '2025-07-01', action: 'login', eventCount: 4, quantity: 4 },
        { day: '2026-03-01', action: 'login', eventCount: 1, quantity: 1 },
      ],
    }
    // What storage returns for a 91-day window: one bucket per action before it, dated on its last day.
    const collapsed: CustomerHistory = {
      ...full,
      activity: [
        { day: '2025-06-01', action: 'unfriend', eventCount: 3, quantity: 3 },
        { day: '2025-07-01', action: 'login', eventCount: 4, quantity: 4 },
        { day: '2026-03-01', action: 'login', eventCount: 1, quantity: 1 },
      ],
    }
    expect(computeFeatures(collapsed, AS_OF, SET).values).toEqual(computeFeatures(full, AS_OF, SET).values)
  })

  it('reads as sentences', () => {
    const lifetime = describeFeature('action_lifetime:unfriend')
    const perMonth = describeFeature('action_per_month:unfriend')
    const others: Record<string, number> = { 'action_lifetime:unfriend': 12, 'action_per_month:unfriend': 3 }
    const otherValue = (name: string) => others[name]
    expect(lifetime?.sentence({ value: 12, typical: 2, otherValue })).toBe("12 'unfriend' events since joining (3 a month), against 2 typically")
    expect(perMonth?.sentence({ value: 3, typical: 0.4, otherValue })).toBe("3 'unfriend' events a month since joining (12 in all), against 0.4 typically")
    expect(perMonth?.sentence({ value: 1, typical: 0, otherValue: () => undefined })).toBe("1 'unfriend' event a month since joining, against 0 typically")
    expect(describeFeature('actions_used_lifetime')?.sentence({ value: 2, typical: 6, otherValue })).toBe('Used 2 different actions since joining, against 6 typically')
  })
})
