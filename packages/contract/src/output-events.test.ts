import { describe, expect, it } from 'vitest'
import { exampleAlertEvent, exampleRiskScoreEvent } from '../test/examples.js'
import { alertChangeEvent, featuresChangedEvent, riskScoreEvent } from './output-events.js'
import { alertEventSchema, featuresChangedEventSchema, riskScoreEventSchema } from './outputs.js'

// The expected ids were computed by the builders' predecessors in the scorer, storage and feature
// builder: consumers deduplicate on them, so a refactor must not change a single one.
describe('output event builders', () => {
  it('builds a valid risk-score event whose id depends on customer, model version and asOf only', () => {
    const { eventId: _id, ...score } = exampleRiskScoreEvent
    const event = riskScoreEvent(score)
    expect(event).toEqual({ ...exampleRiskScoreEvent, eventId: 'rs_ff409598b3ddea4081ebdad0a82f7a62' })
    expect(riskScoreEventSchema.parse(event)).toEqual(event)
    expect(riskScoreEvent({ ...score, probability: 0.1, band: 'low' }).eventId).toBe(event.eventId)
    expect(riskScoreEvent({ ...score, asOf: '2026-03-23T00:00:00Z' }).eventId).not.toBe(event.eventId)
  })

  it('builds a valid alert event with its change and play; the id changes with change, status and updatedAt', () => {
    const { eventId: _id, change: _change, currency: _currency, ...alert } = exampleAlertEvent
    const event = alertChangeEvent(alert, 'opened')
    expect(event).toEqual({ ...alert, change: 'opened', eventId: 'ae_c0c2301efdfcf1b78191a87101fd6fc3' })
    expect(alertEventSchema.parse(event)).toEqual(event)
    const ids = new Set([
      event.eventId,
      alertChangeEvent(alert, 'updated').eventId,
      alertChangeEvent({ ...alert, status: 'acknowledged' }, 'acknowledged').eventId,
      alertChangeEvent({ ...alert, updatedAt: '2026-03-23T00:00:00Z' }, 'opened').eventId,
    ])
    expect(ids.size).toBe(4)
    expect(alertChangeEvent({ ...alert, probability: 0.9 }, 'opened').eventId).toBe(event.eventId)
  })

  it('adds what changed to a score event without changing its id', () => {
    const { eventId: _id, ...score } = exampleRiskScoreEvent
    const changes = {
      previous: { probability: 0.4, band: 'medium' as const, modelVersion: score.modelVersion, asOf: '2026-03-01T00:00:00.000Z' },
      entered: [],
      left: [],
      moved: [{ feature: 'events_30d', oldValue: 40, newValue: 3, oldContribution: 0.1, newContribution: 0.5, sentence: '3 events in 30 days' }],
    }
    const event = riskScoreEvent({ ...score, changes })
    expect(event.eventId).toBe('rs_ff409598b3ddea4081ebdad0a82f7a62')
    expect(riskScoreEventSchema.parse(event).changes).toEqual(changes)
    expect('changes' in riskScoreEvent({ ...score, changes: null })).toBe(false)
  })

  it('spreads kind-specific details into the alert event without changing its id', () => {
    const { eventId: _id, change: _change, currency: _currency, ...alert } = exampleAlertEvent
    const details = { renewalAt: '2026-04-21T00:00:00.000Z', mrrAtStake: 120_000 }
    const event = alertChangeEvent({ ...alert, kind: 'renewal_at_risk', details }, 'opened')
    expect(alertEventSchema.parse(event)).toMatchObject({ kind: 'renewal_at_risk', ...details })
    expect(event.eventId).toBe(alertChangeEvent({ ...alert, kind: 'renewal_at_risk' }, 'opened').eventId)
    expect(alertEventSchema.safeParse({ ...event, mrrAtStake: -1 }).success).toBe(false)
  })

  it('builds a valid features-changed event whose id names the folded batch and customer', () => {
    const change = { customerId: 'acme', eventCount: 3, maxOccurredAt: '2026-03-01T12:00:00Z', changedAt: '2026-03-01T12:00:02Z' }
    const event = featuresChangedEvent({ topic: 'churn.usage.v1', partition: 2, nextOffset: 42n }, change)
    expect(event).toEqual({ ...change, eventId: 'fc-cb5e2426b65b653b99ee41ab59969cc4' })
    expect(featuresChangedEventSchema.parse(event)).toEqual(event)
    expect(featuresChangedEvent({ topic: 'churn.usage.v1', partition: 2, nextOffset: '42' }, change).eventId).toBe(event.eventId)
    expect(featuresChangedEvent({ topic: 'churn.usage.v1', partition: 2, nextOffset: 43n }, change).eventId).not.toBe(event.eventId)
  })
})
