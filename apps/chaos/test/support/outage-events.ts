import type { ChurnEvent } from '@churnwatch/contract'

const ACTIONS = ['login', 'api_call', 'report_exported', 'dashboard_viewed', 'support_ticket_opened', 'seat_added']
const PLANS = [
  { plan: 'starter', mrr: 2900 },
  { plan: 'pro', mrr: 9900 },
  { plan: 'enterprise', mrr: 49_900 },
] as const
const DAY = 86_400_000

/**
 * A deterministic little business (after services/feature-builder/test/fixtures.ts): each customer
 * starts, uses the product on random days, pays monthly, and every fifth cancels and ends.
 * Same arguments, same events, sorted by event time.
 */
export function generateOutageEvents(customers: number, usagePerCustomer: number, seed: number): ChurnEvent[] {
  let state = seed >>> 0
  const random = () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
  const start = Date.parse('2026-01-01T00:00:00Z')
  const events: ChurnEvent[] = []
  for (let c = 0; c < customers; c += 1) {
    const customerId = `oc-${String(c).padStart(5, '0')}`
    const startedAt = start + Math.floor(random() * 30) * DAY
    const { plan, mrr } = PLANS[c % 3] ?? PLANS[0]
    const at = (ms: number) => new Date(ms).toISOString()
    events.push({ eventId: `${customerId}-b0`, customerId, occurredAt: at(startedAt), kind: 'billing', type: 'subscription_started', mrr, currency: 'USD', plan })
    for (let m = 0; m < 3; m += 1) {
      const type = random() < 0.1 ? 'payment_failed' : 'invoice_paid'
      events.push({ eventId: `${customerId}-i${m}`, customerId, occurredAt: at(startedAt + m * 30 * DAY + 1000), kind: 'billing', type, amount: mrr, currency: 'USD' })
    }
    if (c % 5 === 0) {
      events.push({ eventId: `${customerId}-x`, customerId, occurredAt: at(startedAt + 70 * DAY), kind: 'billing', type: 'subscription_canceled', reason: 'too_expensive', voluntary: true })
      events.push({ eventId: `${customerId}-e`, customerId, occurredAt: at(startedAt + 85 * DAY), kind: 'billing', type: 'subscription_ended', reason: 'too_expensive', voluntary: true })
    }
    for (let u = 0; u < usagePerCustomer; u += 1) {
      events.push({
        eventId: `${customerId}-u${u}`,
        customerId,
        occurredAt: at(startedAt + 60_000 + Math.floor(random() * 80 * DAY)),
        kind: 'usage',
        action: ACTIONS[Math.floor(random() * ACTIONS.length)] ?? 'login',
        quantity: Math.floor(random() * 3),
        userId: `${customerId}-user${Math.floor(random() * 5)}`,
      })
    }
  }
  return events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.eventId.localeCompare(b.eventId))
}

export interface ExpectedCustomer {
  customer_id: string
  status: string
  plan: string | null
  usage_events: number
  billing_events: number
  first_seen_at: string
  last_seen_at: string
}

export interface ExpectedState {
  events: number
  billingEvents: number
  /** `customer|day|action` → `count,quantity`, one entry per daily_activity row. */
  dailyActivity: Map<string, string>
  /** `customer|day|user` → count, one entry per daily_users row. */
  dailyUsers: Map<string, number>
  customers: ExpectedCustomer[]
  /** Customers paying at the latest event time: the ones the scorer must hold a score for. */
  activeCustomers: string[]
}

/**
 * The feature state the input must fold to, worked out here from the events alone (not with the
 * feature builder's code): the known answer an outage must not change.
 */
export function expectedState(events: readonly ChurnEvent[]): ExpectedState {
  const dailyActivity = new Map<string, { count: number; quantity: number }>()
  const dailyUsers = new Map<string, number>()
  const customers = new Map<string, ExpectedCustomer & { ended: boolean; canceled: boolean }>()
  let billingEvents = 0
  for (const e of events) {
    let c = customers.get(e.customerId)
    if (!c) {
      c = { customer_id: e.customerId, status: 'none', plan: null, usage_events: 0, billing_events: 0, first_seen_at: e.occurredAt, last_seen_at: e.occurredAt, ended: false, canceled: false }
      customers.set(e.customerId, c)
    }
    if (e.occurredAt < c.first_seen_at) c.first_seen_at = e.occurredAt
    if (e.occurredAt > c.last_seen_at) c.last_seen_at = e.occurredAt
    if (e.kind === 'usage') {
      c.usage_events += 1
      const day = e.occurredAt.slice(0, 10)
      const key = `${e.customerId}|${day}|${e.action}`
      const bucket = dailyActivity.get(key) ?? { count: 0, quantity: 0 }
      bucket.count += 1
      bucket.quantity += e.quantity ?? 1
      dailyActivity.set(key, bucket)
      if (e.userId !== undefined) {
        const userKey = `${e.customerId}|${day}|${e.userId}`
        dailyUsers.set(userKey, (dailyUsers.get(userKey) ?? 0) + 1)
      }
    } else if (e.kind === 'billing') {
      billingEvents += 1
      c.billing_events += 1
      if (e.type === 'subscription_started') c.plan = e.plan ?? null
      if (e.type === 'subscription_canceled') c.canceled = true
      if (e.type === 'subscription_ended') c.ended = true
    }
  }
  const rows = [...customers.values()].map(({ ended, canceled, ...row }) => ({
    ...row,
    status: ended ? 'ended' : canceled ? 'canceling' : 'active',
  }))
  return {
    events: events.length,
    billingEvents,
    dailyActivity: new Map([...dailyActivity].map(([k, v]) => [k, `${v.count},${v.quantity}`])),
    dailyUsers,
    customers: rows.sort((a, b) => a.customer_id.localeCompare(b.customer_id)),
    activeCustomers: rows.filter((r) => r.status !== 'ended').map((r) => r.customer_id).sort(),
  }
}
