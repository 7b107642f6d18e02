import type { ChurnEvent } from '@churnwatch/contract'

const ACTIONS = ['login', 'api_call', 'report_exported', 'dashboard_viewed', 'support_ticket_opened', 'seat_added']

/**
 * A deterministic little business: each customer starts, uses the product on random days,
 * pays monthly, and some fail a payment, cancel and end. Same arguments, same events.
 */
export function generateEvents(customers: number, usagePerCustomer: number, seed = 1): ChurnEvent[] {
  let state = seed >>> 0
  const random = () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
  const start = Date.parse('2026-01-01T00:00:00Z')
  const day = 86_400_000
  const events: ChurnEvent[] = []
  for (let c = 0; c < customers; c += 1) {
    const customerId = `c-${String(c).padStart(5, '0')}`
    const startedAt = start + Math.floor(random() * 30) * day
    const mrr = [2900, 9900, 49_900][c % 3] ?? 2900
    events.push({ eventId: `${customerId}-b0`, customerId, occurredAt: new Date(startedAt).toISOString(), kind: 'billing', type: 'subscription_started', mrr, currency: 'USD', plan: ['starter', 'pro', 'enterprise'][c % 3] })
    for (let m = 0; m < 3; m += 1) {
      events.push({ eventId: `${customerId}-i${m}`, customerId, occurredAt: new Date(startedAt + m * 30 * day).toISOString(), kind: 'billing', type: random() < 0.1 ? 'payment_failed' : 'invoice_paid', amount: mrr, currency: 'USD' })
    }
    if (c % 5 === 0) {
      events.push({ eventId: `${customerId}-x`, customerId, occurredAt: new Date(startedAt + 70 * day).toISOString(), kind: 'billing', type: 'subscription_canceled', reason: 'too_expensive', voluntary: true })
      events.push({ eventId: `${customerId}-e`, customerId, occurredAt: new Date(startedAt + 85 * day).toISOString(), kind: 'billing', type: 'subscription_ended', reason: 'too_expensive', voluntary: true })
    }
    for (let u = 0; u < usagePerCustomer; u += 1) {
      const at = startedAt + Math.floor(random() * 80 * day)
      events.push({
        eventId: `${customerId}-u${u}`,
        customerId,
        occurredAt: new Date(at).toISOString(),
        kind: 'usage',
        action: ACTIONS[Math.floor(random() * ACTIONS.length)] ?? 'login',
        quantity: Math.floor(random() * 3),
        userId: `${customerId}-user${Math.floor(random() * 5)}`,
      })
    }
  }
  return events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.eventId.localeCompare(b.eventId))
}

/** Splits events into their input topics, keyed by customerId. */
export function toTopicMessages(events: readonly ChurnEvent[]) {
  return {
    usage: events.filter((e) => e.kind === 'usage').map((e) => ({ key: e.customerId, value: e })),
    billing: events.filter((e) => e.kind === 'billing').map((e) => ({ key: e.customerId, value: e })),
    accounts: events.filter((e) => e.kind === 'account').map((e) => ({ key: e.customerId, value: e })),
  }
}
