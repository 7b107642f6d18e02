import type { AccountEvent, BillingEvent, ChurnEvent, UsageEvent } from '@churnwatch/contract'
import { seededRandom } from './random.js'

const SEGMENTS = ['smb', 'mid_market', 'enterprise']
const ACTIONS = ['login', 'api_call', 'report_exported', 'dashboard_viewed', 'support_ticket_opened', 'seat_added']
// Non-UTC zones: the day bucket must follow the instant, not the local date written in the event.
const ZONES = ['Z', '+05:30', '-08:00']
const DAY_MS = 86_400_000

export interface GeneratedInput {
  /** Every message in produce order, duplicates included. */
  messages: ChurnEvent[]
  /** The distinct events (first copy of each eventId): what the state must reflect. */
  events: ChurnEvent[]
}

/**
 * A deterministic business of exactly `total` input messages (after the feature builder's
 * crash test fixture): each customer starts, pays monthly, some fail a payment, one in five
 * cancels and ends; each has an account event at its start and every other one a later change
 * (contract terms and account events are covered too); the rest is usage on random days, in three zones, and about `duplicateShare`
 * of the messages repeat an earlier eventId. Same arguments, same messages.
 */
export function generateInput(options: { customers: number; total: number; seed: number; duplicateShare?: number }): GeneratedInput {
  const random = seededRandom(options.seed)
  const start = Date.parse('2026-01-01T00:00:00Z')
  const billing: BillingEvent[] = []
  const accounts: AccountEvent[] = []
  const startedAt: number[] = []
  for (let c = 0; c < options.customers; c += 1) {
    const customerId = customerIdOf(c)
    const at = start + Math.floor(random() * 30) * DAY_MS
    startedAt.push(at)
    const mrr = [2900, 9900, 49_900][c % 3] ?? 2900
    const plan = ['starter', 'pro', 'enterprise'][c % 3] ?? 'starter'
    billing.push({ eventId: `${customerId}-b0`, customerId, occurredAt: iso(at), kind: 'billing', type: 'subscription_started', mrr, currency: 'USD', plan, interval: 'month', intervalCount: 1 })
    const segment = SEGMENTS[c % 3] ?? 'smb'
    accounts.push({ eventId: `${customerId}-a0`, customerId, occurredAt: iso(at), kind: 'account', segment, employees: 1 + Math.floor(random() * 500), attributes: { region: 'emea' } })
    if (c % 2 === 0) accounts.push({ eventId: `${customerId}-a1`, customerId, occurredAt: iso(at + 40 * DAY_MS), kind: 'account', segment: null, ownerId: `csm-${c % 7}` })
    for (let m = 0; m < 3; m += 1) {
      const type = random() < 0.1 ? 'payment_failed' : 'invoice_paid'
      const periodEnd = iso(at + (m + 1) * 30 * DAY_MS)
      billing.push(
        type === 'invoice_paid'
          ? { eventId: `${customerId}-i${m}`, customerId, occurredAt: iso(at + m * 30 * DAY_MS), kind: 'billing', type, amount: mrr, currency: 'USD', currentPeriodEnd: periodEnd }
          : { eventId: `${customerId}-i${m}`, customerId, occurredAt: iso(at + m * 30 * DAY_MS), kind: 'billing', type, amount: mrr, currency: 'USD' },
      )
    }
    if (c % 5 === 0) {
      billing.push({ eventId: `${customerId}-x`, customerId, occurredAt: iso(at + 70 * DAY_MS), kind: 'billing', type: 'subscription_canceled', reason: 'too_expensive', voluntary: true })
      billing.push({ eventId: `${customerId}-e`, customerId, occurredAt: iso(at + 85 * DAY_MS), kind: 'billing', type: 'subscription_ended', reason: 'too_expensive', voluntary: true })
    }
  }
  const duplicates = Math.floor(options.total * (options.duplicateShare ?? 0.01))
  const usageCount = options.total - billing.length - accounts.length - duplicates
  if (usageCount < 0) throw new Error(`${options.total} messages cannot hold ${billing.length} billing and ${accounts.length} account events`)
  const usage: UsageEvent[] = []
  for (let u = 0; u < usageCount; u += 1) {
    const c = u % options.customers
    const customerId = customerIdOf(c)
    const at = (startedAt[c] ?? start) + Math.floor(random() * 80 * DAY_MS)
    const zone = ZONES[Math.floor(random() * ZONES.length)] ?? 'Z'
    usage.push({
      eventId: `${customerId}-u${Math.floor(u / options.customers)}`,
      customerId,
      occurredAt: inZone(at, zone),
      kind: 'usage',
      action: ACTIONS[Math.floor(random() * ACTIONS.length)] ?? 'login',
      quantity: Math.floor(random() * 4) / 2,
      userId: `${customerId}-user${Math.floor(random() * 5)}`,
    })
  }
  const events: ChurnEvent[] = [...billing, ...accounts, ...usage].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || a.eventId.localeCompare(b.eventId))
  // A repeated eventId may carry other content: the first copy counts, so copies go after their original.
  const copies: Array<{ at: number; event: ChurnEvent }> = []
  for (let d = 0; d < duplicates; d += 1) {
    const i = Math.floor(random() * events.length)
    const original = events[i]
    if (!original) continue
    const copy = original.kind === 'usage' ? { ...original, quantity: 1000 } : original.kind === 'account' ? { ...original, segment: 'copy' } : original
    copies.push({ at: i + 1 + Math.floor(random() * (events.length - i)), event: copy })
  }
  copies.sort((a, b) => a.at - b.at)
  const messages: ChurnEvent[] = []
  let next = 0
  for (let i = 0; i <= events.length; i += 1) {
    for (; next < copies.length && (copies[next]?.at ?? 0) <= i; next += 1) {
      const copy = copies[next]
      if (copy) messages.push(copy.event)
    }
    const event = events[i]
    if (event) messages.push(event)
  }
  return { messages, events }
}

function customerIdOf(c: number): string {
  return `c-${String(c).padStart(5, '0')}`
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

/** The same instant written with a zone offset, e.g. 2026-01-01T05:30:00+05:30. */
function inZone(ms: number, zone: string): string {
  if (zone === 'Z') return iso(ms)
  const sign = zone.startsWith('-') ? -1 : 1
  const [h, m] = zone.slice(1).split(':').map(Number)
  const offsetMs = sign * ((h ?? 0) * 60 + (m ?? 0)) * 60_000
  return `${new Date(ms + offsetMs).toISOString().slice(0, 19)}${zone}`
}

/** Splits messages into the three input topics, keyed by customerId, keeping their order. */
export function toTopicMessages(messages: readonly ChurnEvent[]) {
  return {
    usage: messages.filter((e) => e.kind === 'usage').map((e) => ({ key: e.customerId, value: e })),
    billing: messages.filter((e) => e.kind === 'billing').map((e) => ({ key: e.customerId, value: e })),
    accounts: messages.filter((e) => e.kind === 'account').map((e) => ({ key: e.customerId, value: e })),
  }
}
