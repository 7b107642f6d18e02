import { describe, expect, it } from 'vitest'
import { TRUTH_CSV_HEADER, toNdjsonLines, truthToCsv } from './serialize.js'
import type { CustomerTruth, SimEvent } from './types.js'

describe('toNdjsonLines', () => {
  it('yields one JSON document per event, each ending in a newline', () => {
    const events: SimEvent[] = [
      {
        eventId: 'u-1',
        customerId: 'c-000001',
        occurredAt: '2025-01-01T09:00:00Z',
        kind: 'usage',
        action: 'login',
        quantity: 1,
        userId: 'c-000001-u1',
      },
      {
        eventId: 'b-1',
        customerId: 'c-000001',
        occurredAt: '2025-01-01T10:00:00Z',
        kind: 'billing',
        type: 'invoice_paid',
        currency: 'USD',
        amount: 2900,
      },
    ]
    const lines = [...toNdjsonLines(events)]
    expect(lines).toHaveLength(2)
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true)
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(events)
  })
})

describe('truthToCsv', () => {
  it('writes one row per customer-month and one bare row for a customer never active at a month start', () => {
    const truth: CustomerTruth[] = [
      {
        customerId: 'c-000001',
        startedAt: '2024-11-03T09:00:00Z',
        endedAt: '2025-02-03T00:10:00Z',
        voluntary: true,
        churns: [{ endedAt: '2025-02-03T00:10:00Z', voluntary: true, reason: 'too_expensive' }],
        monthly: [
          { monthStart: '2025-01-01T00:00:00Z', trueChurnProbability90d: 0.85 },
          { monthStart: '2025-02-01T00:00:00Z', trueChurnProbability90d: 0.123456789 },
        ],
      },
      { customerId: 'c-000002', startedAt: '2025-01-10T12:00:00Z', endedAt: null, voluntary: null, churns: [], monthly: [] },
    ]
    expect(truthToCsv(truth)).toBe(
      [
        TRUTH_CSV_HEADER,
        'c-000001,2024-11-03T09:00:00Z,2025-02-03T00:10:00Z,true,2025-01-01T00:00:00Z,0.850000',
        'c-000001,2024-11-03T09:00:00Z,2025-02-03T00:10:00Z,true,2025-02-01T00:00:00Z,0.123457',
        'c-000002,2025-01-10T12:00:00Z,,,,',
        '',
      ].join('\n'),
    )
    expect(TRUTH_CSV_HEADER).toBe('customerId,startedAt,endedAt,voluntary,monthStart,trueChurnProbability90d')
  })
})
