import type { ChurnEvent } from '@churnwatch/contract'
import type { Queryable } from './pool.js'

export interface StoredEvent {
  customerId: string
  eventId: string
  kind: ChurnEvent['kind']
  occurredAt: Date
  payload: ChurnEvent
}

/**
 * Inserts events set-based (one statement for the whole batch) and returns only the ones
 * that were new: a repeated (customerId, eventId) is skipped, so callers fold just these.
 */
export async function insertNewEvents(db: Queryable, events: readonly ChurnEvent[]): Promise<ChurnEvent[]> {
  if (events.length === 0) return []
  // The batch travels as one JSON document: PostgreSQL parses it once, and no per-element array
  // escaping runs in JS. Rows go in key order, so concurrent batches take index locks in one order;
  // among repeats of a key the first in the batch is the one stored, as it is the one folded.
  // The inserted keys come back only when some rows were skipped, to tell which ones.
  const { rows } = await db.query<{ inserted: number; keys: Array<[string, string]> | null }>(
    `WITH inserted AS (
       INSERT INTO events (customer_id, event_id, kind, occurred_at, payload)
       SELECT e->>'customerId', e->>'eventId', e->>'kind', (e->>'occurredAt')::timestamptz, e
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, i)
       ORDER BY e->>'customerId' COLLATE "C", e->>'eventId' COLLATE "C", i
       ON CONFLICT (customer_id, event_id) DO NOTHING
       RETURNING customer_id, event_id
     ), counted AS (SELECT count(*)::int AS inserted FROM inserted)
     SELECT inserted,
            CASE WHEN inserted < $2 THEN (SELECT json_agg(json_build_array(customer_id, event_id)) FROM inserted) END AS keys
     FROM counted`,
    [JSON.stringify(events), events.length],
  )
  if (rows[0]?.inserted === events.length) return [...events]
  const inserted = new Set((rows[0]?.keys ?? []).map(([customerId, eventId]) => eventKey(customerId, eventId)))
  // A batch may repeat an eventId: only its first occurrence counts (the statement skipped the others).
  const fresh: ChurnEvent[] = []
  for (const event of events) {
    if (inserted.delete(eventKey(event.customerId, event.eventId))) fresh.push(event)
  }
  return fresh
}

function eventKey(customerId: string, eventId: string): string {
  return `${customerId}\u0000${eventId}`
}

/** Reads a customer's stored events in event-time order. */
export async function readCustomerEvents(db: Queryable, customerId: string): Promise<StoredEvent[]> {
  const { rows } = await db.query<{
    customer_id: string
    event_id: string
    kind: ChurnEvent['kind']
    occurred_at: Date
    payload: ChurnEvent
  }>(
    `SELECT customer_id, event_id, kind, occurred_at, payload FROM events
     WHERE customer_id = $1 ORDER BY occurred_at, event_id`,
    [customerId],
  )
  return rows.map((r) => ({
    customerId: r.customer_id,
    eventId: r.event_id,
    kind: r.kind,
    occurredAt: r.occurred_at,
    payload: r.payload,
  }))
}
