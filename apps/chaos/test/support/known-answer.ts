import type { ChurnEvent } from '@churnwatch/contract'
import type { Queryable } from '@churnwatch/storage'

/**
 * The per-customer state as sorted text lines, one family per table. Computed here from the
 * generated events with plain JS (no code shared with the fold), and read back from PostgreSQL
 * in the same shape, so a crash that loses or double-counts anything shows up as a line diff.
 */
export interface StateLines {
  activity: string[]
  users: string[]
  customers: string[]
  events: string[]
  billing: string[]
  accounts: string[]
}

/** What the tables must hold after folding these distinct events (first copy of each eventId). */
export function expectedState(events: readonly ChurnEvent[]): StateLines {
  const activity = new Map<string, { count: number; quantity: number }>()
  const users = new Map<string, number>()
  const customers = new Map<string, { first: number; last: number; lastUsage: number | null; usage: number; billing: number; status: string; plan: string | null; mrr: number }>()
  for (const e of events) {
    // Account events are stored on their own and create no customers row.
    if (e.kind === 'account') continue
    const at = Date.parse(e.occurredAt)
    const c = customers.get(e.customerId) ?? { first: at, last: at, lastUsage: null, usage: 0, billing: 0, status: 'none', plan: null, mrr: 0 }
    customers.set(e.customerId, c)
    c.first = Math.min(c.first, at)
    c.last = Math.max(c.last, at)
    if (e.kind === 'usage') {
      const day = new Date(at).toISOString().slice(0, 10)
      const key = `${e.customerId}|${day}|${e.action}`
      const bucket = activity.get(key) ?? { count: 0, quantity: 0 }
      bucket.count += 1
      bucket.quantity += e.quantity ?? 1
      activity.set(key, bucket)
      if (e.userId) users.set(`${e.customerId}|${day}|${e.userId}`, (users.get(`${e.customerId}|${day}|${e.userId}`) ?? 0) + 1)
      c.usage += 1
      c.lastUsage = Math.max(c.lastUsage ?? at, at)
    } else {
      c.billing += 1
    }
  }
  // The generator's lifecycle is simple: started (plan, mrr), then maybe canceled and ended.
  for (const e of [...events].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))) {
    if (e.kind !== 'billing') continue
    const c = customers.get(e.customerId)
    if (!c) continue
    if (e.type === 'subscription_started') Object.assign(c, { status: 'active', plan: e.plan ?? null, mrr: e.mrr ?? 0 })
    if (e.type === 'subscription_canceled' && c.status === 'active') c.status = 'canceling'
    if (e.type === 'subscription_ended') c.status = 'ended'
  }
  return {
    activity: [...activity].map(([key, b]) => `${key}|${b.count}|${b.quantity}`).sort(),
    users: [...users].map(([key, n]) => `${key}|${n}`).sort(),
    customers: [...customers]
      .map(([id, c]) => `${id}|${c.first}|${c.last}|${c.lastUsage ?? ''}|${c.usage}|${c.billing}|${c.status}|${c.plan ?? ''}|${c.mrr}`)
      .sort(),
    events: events.map((e) => `${e.customerId}|${e.eventId}`).sort(),
    billing: events
      .filter((e) => e.kind === 'billing')
      .map((e) => `${e.customerId}|${Date.parse(e.occurredAt)}|${e.eventId}|${e.type}|${'currentPeriodEnd' in e && typeof e.currentPeriodEnd === 'string' ? Date.parse(e.currentPeriodEnd) : ''}`)
      .sort(),
    accounts: events
      .filter((e) => e.kind === 'account')
      .map((e) => `${e.customerId}|${Date.parse(e.occurredAt)}|${e.eventId}|${e.segment === undefined ? '-' : (e.segment ?? 'null')}|${e.employees ?? ''}|${e.ownerId ?? ''}`)
      .sort(),
  }
}

const ms = (column: string) => `coalesce((extract(epoch FROM ${column}) * 1000)::bigint::text, '')`

/** The same lines as read from the feature tables. */
export async function readState(db: Queryable): Promise<StateLines> {
  const lines = async (sql: string) => (await db.query<{ line: string }>(sql)).rows.map((r) => r.line).sort()
  return {
    activity: await lines(`SELECT concat_ws('|', customer_id, to_char(day, 'YYYY-MM-DD'), action, event_count, quantity) AS line FROM daily_activity`),
    users: await lines(`SELECT concat_ws('|', customer_id, to_char(day, 'YYYY-MM-DD'), user_id, event_count) AS line FROM daily_users`),
    customers: await lines(
      `SELECT concat_ws('|', customer_id, ${ms('first_seen_at')}, ${ms('last_seen_at')}, ${ms('last_activity_at')},
         usage_events, billing_events, status, coalesce(plan, ''), mrr) AS line FROM customers`,
    ),
    events: await lines(`SELECT customer_id || '|' || event_id AS line FROM events`),
    billing: await lines(
      `SELECT concat_ws('|', customer_id, ${ms('occurred_at')}, event_id, type, coalesce(terms->>'currentPeriodEnd', '')) AS line FROM billing_events`,
    ),
    // '-' for a field not sent, 'null' for one sent as null: the difference accountAsOf relies on.
    accounts: await lines(
      `SELECT concat_ws('|', customer_id, ${ms('occurred_at')}, event_id,
         CASE WHEN NOT fields ? 'segment' THEN '-' WHEN fields->'segment' = 'null'::jsonb THEN 'null' ELSE fields->>'segment' END,
         coalesce(fields->>'employees', ''), coalesce(fields->>'ownerId', '')) AS line FROM account_events`,
    ),
  }
}

/** Counts and the first few differing lines per family: small enough for a readable failure. */
export function diffState(expected: StateLines, actual: StateLines) {
  const families = Object.keys(expected) as Array<keyof StateLines>
  return Object.fromEntries(
    families.map((family) => {
      const want = new Set(expected[family])
      const got = new Set(actual[family])
      return [
        family,
        {
          rows: actual[family].length,
          missing: expected[family].filter((l) => !got.has(l)).slice(0, 5),
          unexpected: actual[family].filter((l) => !want.has(l)).slice(0, 5),
        },
      ]
    }),
  )
}

/** The diff a correct state gives: every family complete, nothing missing or extra. */
export function noDiff(expected: StateLines) {
  const families = Object.keys(expected) as Array<keyof StateLines>
  return Object.fromEntries(families.map((family) => [family, { rows: expected[family].length, missing: [], unexpected: [] }]))
}
