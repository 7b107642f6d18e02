import type { BillingEvent, UsageEvent } from '@churnwatch/contract'
import { randomBytes } from 'node:crypto'

/** A valid usage event; override any field. Each call gets a fresh eventId. */
export function buildUsageEvent(overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    eventId: `u-${randomBytes(6).toString('hex')}`,
    customerId: 'acme',
    occurredAt: '2026-03-01T12:00:00Z',
    kind: 'usage',
    action: 'login',
    quantity: 1,
    userId: 'u-1',
    ...overrides,
  }
}

/** A valid billing event (subscription_started by default); override any field. */
export function buildBillingEvent(overrides: Partial<BillingEvent> = {}): BillingEvent {
  return {
    eventId: `b-${randomBytes(6).toString('hex')}`,
    customerId: 'acme',
    occurredAt: '2026-03-01T00:00:00Z',
    kind: 'billing',
    type: 'subscription_started',
    mrr: 4900,
    currency: 'USD',
    plan: 'pro',
    ...overrides,
  }
}
