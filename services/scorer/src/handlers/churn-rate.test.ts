import type { ChurnSpikeResult } from '@churnwatch/metrics'
import type { AlertRow } from '@churnwatch/storage'
import { describe, expect, it } from 'vitest'
import { loadPlayBook } from '../playbook.js'
import { churnScopeKey, decideSpikeAlerts } from './churn-rate.js'

const plays = loadPlayBook()
const result = (overrides: Partial<ChurnSpikeResult> = {}): ChurnSpikeResult => ({
  interval: 'month',
  segment: null,
  periodStart: Date.parse('2026-03-01T00:00:00Z'),
  customersAtStart: 94,
  churned: 4,
  churnedMrr: 4_000,
  rate: 4 / 94,
  baselineRate: 6 / 585,
  expectedChurned: 0.4354,
  pValue: 0.001,
  spike: true,
  ...overrides,
})
const key = churnScopeKey('month', null)
const asOf = '2026-03-15T00:00:00.000Z'

function live(changes: ReturnType<typeof decideSpikeAlerts>): Map<string, AlertRow> {
  return new Map(
    changes.map(({ alert }) => [alert.customerId, { ...alert, acknowledgedAt: null, resolvedAt: null, resolution: null }]),
  )
}

describe('churn_rate_spike decisions', () => {
  it('opens one operator alert per scope and period, carrying the test, and nothing while it is live', () => {
    const opened = decideSpikeAlerts(new Map([[key, result()]]), new Map(), asOf, plays, 0.01)
    expect(opened).toHaveLength(1)
    expect(opened[0]).toMatchObject({
      change: 'opened',
      alert: {
        customerId: 'churnwatch:churn-rate:month:all',
        kind: 'churn_rate_spike',
        probability: 4 / 94,
        revenueAtRisk: 4_000,
        play: 'churn_review',
        details: { scope: { period: 'month', segment: null, periodStart: '2026-03-01T00:00:00.000Z', churned: 4, customersAtStart: 94, pValue: 0.001, level: 0.01 } },
      },
    })
    expect(opened[0]?.alert.drivers[0]?.sentence).toBe('4 of 94 customers churned month-to-date, 0.4 expected from the baseline (p = 0.0010)')
    expect(decideSpikeAlerts(new Map([[key, result({ churned: 5 })]]), live(opened), '2026-03-16T00:00:00.000Z', plays, 0.01)).toEqual([])
  })

  it('updates a live alert when the next period spikes again and resolves it when the rate is back', () => {
    const opened = live(decideSpikeAlerts(new Map([[key, result()]]), new Map(), asOf, plays, 0.01))
    const april = result({ periodStart: Date.parse('2026-04-01T00:00:00Z') })
    expect(decideSpikeAlerts(new Map([[key, april]]), opened, '2026-04-20T00:00:00.000Z', plays, 0.01)).toMatchObject([
      { change: 'updated', alert: { details: { scope: { periodStart: '2026-04-01T00:00:00.000Z' } } } },
    ])
    expect(decideSpikeAlerts(new Map([[key, result({ spike: false })]]), opened, asOf, plays, 0.01)).toMatchObject([
      { change: 'resolved', alert: { status: 'resolved', resolution: 'the churn rate is back within its baseline' } },
    ])
    expect(decideSpikeAlerts(new Map(), opened, asOf, plays, 0.01)).toMatchObject([
      { change: 'resolved', alert: { resolution: 'the scope is no longer tested (too few customers)' } },
    ])
  })

  it('keys segments and periods apart', () => {
    expect(churnScopeKey('week', 'enterprise')).toBe('churnwatch:churn-rate:week:segment=enterprise')
  })
})
