import type { BillingRecord } from '@churnwatch/features'
import type { BillingHistory } from '../src/timeline.js'

export const at = (iso: string): number => Date.parse(iso)

const record = (eventId: string, iso: string, type: BillingRecord['type'], extra: Partial<BillingRecord> = {}): BillingRecord => ({
  eventId,
  occurredAt: at(iso),
  type,
  ...extra,
})

/**
 * Six customers around Q1 2026 (MRR in cents). Each history is listed out of time order on
 * purpose; the metrics must sort it.
 *
 *   A  start 2025-11-01 5000; upgrade 2026-01-15 -> 8000; cancel 02-10 (too_expensive);
 *      end 2026-03-01T00:00Z exactly (voluntary) -> churns in March, not February
 *   B  start 2025-12-01 10000; downgrade 2026-02-05 -> 6000; end 2026-04-01T00:00Z (at `to`, ignored)
 *   C  start 2025-10-01 3000; payment failed 01-20; end 01-31 (payment_failed, involuntary, no cancel);
 *      reactivated 2026-03-10 3000
 *   D  start 2025-12-20 2000; cancel 2026-01-05 (missing_feature); end 02-15 with no `voluntary`
 *      -> 57 days after start: early churn, kind unknown
 *   E  start 2026-02-03 4000; end 02-25 with no reason or `voluntary` -> starts and churns in February
 *   F  start 2026-02-01T00:00Z exactly 2500 (new in February, not at its start); upgrade 03-20 -> 3500
 */
export const FIXTURE: BillingHistory[] = [
  {
    customerId: 'A',
    billing: [
      record('a4', '2026-03-01T00:00:00Z', 'subscription_ended', { reason: 'too_expensive', voluntary: true }),
      record('a1', '2025-11-01T00:00:00Z', 'subscription_started', { mrr: 5000, plan: 'pro' }),
      record('a3', '2026-02-10T09:00:00Z', 'subscription_canceled', { reason: 'too_expensive', voluntary: true }),
      record('a2', '2026-01-15T12:00:00Z', 'subscription_changed', { mrr: 8000, plan: 'business' }),
      record('a5', '2026-01-01T00:00:00Z', 'invoice_paid', { amount: 5000 }),
    ],
  },
  {
    customerId: 'B',
    billing: [
      record('b3', '2026-04-01T00:00:00Z', 'subscription_ended', { reason: 'switched', voluntary: true }),
      record('b2', '2026-02-05T00:00:00Z', 'subscription_changed', { mrr: 6000, plan: 'team' }),
      record('b1', '2025-12-01T00:00:00Z', 'subscription_started', { mrr: 10000, plan: 'business' }),
    ],
  },
  {
    customerId: 'C',
    billing: [
      record('c4', '2026-03-10T00:00:00Z', 'subscription_reactivated', { mrr: 3000, plan: 'starter' }),
      record('c3', '2026-01-31T18:00:00Z', 'subscription_ended', { reason: 'payment_failed', voluntary: false }),
      record('c2', '2026-01-20T00:00:00Z', 'payment_failed', { amount: 3000 }),
      record('c1', '2025-10-01T00:00:00Z', 'subscription_started', { mrr: 3000, plan: 'starter' }),
    ],
  },
  {
    customerId: 'D',
    billing: [
      record('d3', '2026-02-15T00:00:00Z', 'subscription_ended', { reason: 'missing_feature' }),
      record('d1', '2025-12-20T00:00:00Z', 'subscription_started', { mrr: 2000, plan: 'basic' }),
      record('d2', '2026-01-05T00:00:00Z', 'subscription_canceled', { reason: 'missing_feature', voluntary: true }),
    ],
  },
  {
    customerId: 'E',
    billing: [
      record('e2', '2026-02-25T00:00:00Z', 'subscription_ended'),
      record('e1', '2026-02-03T00:00:00Z', 'subscription_started', { mrr: 4000, plan: 'team' }),
    ],
  },
  {
    customerId: 'F',
    billing: [
      record('f2', '2026-03-20T00:00:00Z', 'subscription_changed', { mrr: 3500, plan: 'team' }),
      record('f1', '2026-02-01T00:00:00Z', 'subscription_started', { mrr: 2500, plan: 'basic' }),
    ],
  },
]

export { record }
