import type { UsageEvent } from '@churnwatch/contract'
import { describe, expect, it } from 'vitest'
import { bucketUsageEvents } from './fold.js'

const event = (eventId: string, occurredAt: string, action: string, quantity: number, userId?: string): UsageEvent => ({
  eventId,
  customerId: 'acme',
  occurredAt,
  kind: 'usage',
  action,
  quantity,
  ...(userId ? { userId } : {}),
})

describe('bucketUsageEvents', () => {
  it('buckets by the UTC day of event time, per action, with distinct users per day', () => {
    const { activity, users } = bucketUsageEvents([
      event('1', '2026-03-01T23:30:00-02:00', 'login', 1, 'u1'), // 2026-03-02 in UTC
      event('2', '2026-03-02T08:00:00Z', 'login', 1, 'u1'),
      event('3', '2026-03-02T09:00:00Z', 'api_call', 7, 'u2'),
      event('4', '2026-03-01T10:00:00Z', 'login', 1),
    ])
    expect(activity).toEqual([
      { customerId: 'acme', day: '2026-03-02', action: 'login', eventCount: 2, quantity: 2 },
      { customerId: 'acme', day: '2026-03-02', action: 'api_call', eventCount: 1, quantity: 7 },
      { customerId: 'acme', day: '2026-03-01', action: 'login', eventCount: 1, quantity: 1 },
    ])
    expect(users).toEqual([
      { customerId: 'acme', day: '2026-03-02', userId: 'u1', eventCount: 2 },
      { customerId: 'acme', day: '2026-03-02', userId: 'u2', eventCount: 1 },
    ])
  })
})
