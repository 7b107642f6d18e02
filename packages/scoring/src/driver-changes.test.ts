import type { Driver } from '@churnwatch/contract'
import { describe, expect, it } from 'vitest'
import { diffDrivers } from './driver-changes.js'

const driver = (feature: string, value: number | string | null, contribution: number): Driver => ({
  feature,
  value,
  contribution,
  sentence: `${feature} is ${String(value)}`,
})

describe('diffDrivers', () => {
  const previous = {
    probability: 0.31,
    band: 'medium' as const,
    modelVersion: 'v1',
    asOf: '2026-03-01T00:00:00.000Z',
    drivers: [driver('days_since_last_activity', 3, 0.2), driver('events_30d', 40, 0.1), driver('seat_utilization_30d', 0.9, -0.05)],
  }

  it('names the drivers that entered, left and moved, with old and new values', () => {
    const next = [driver('days_since_last_activity', 21, 0.9), driver('payment_overdue', 1, 0.4), driver('events_30d', 40, 0.1)]
    expect(diffDrivers(previous, next)).toEqual({
      previous: { probability: 0.31, band: 'medium', modelVersion: 'v1', asOf: '2026-03-01T00:00:00.000Z' },
      entered: [driver('payment_overdue', 1, 0.4)],
      left: [driver('seat_utilization_30d', 0.9, -0.05)],
      moved: [
        { feature: 'days_since_last_activity', oldValue: 3, newValue: 21, oldContribution: 0.2, newContribution: 0.9, sentence: 'days_since_last_activity is 21' },
      ],
    })
  })

  it('orders moves by the size of the contribution change and counts a contribution-only move', () => {
    const next = [driver('days_since_last_activity', 4, 0.25), driver('events_30d', 40, -0.4), driver('seat_utilization_30d', 0.9, -0.05)]
    const { moved, entered, left } = diffDrivers(previous, next)
    expect(moved.map((m) => [m.feature, m.oldContribution, m.newContribution])).toEqual([
      ['events_30d', 0.1, -0.4],
      ['days_since_last_activity', 0.2, 0.25],
    ])
    expect(entered).toEqual([])
    expect(left).toEqual([])
  })

  it('lists every driver as entered for a first score, with no previous', () => {
    const next = [driver('events_30d', 2, 0.3)]
    expect(diffDrivers(undefined, next)).toEqual({ previous: null, entered: next, left: [], moved: [] })
  })
})
