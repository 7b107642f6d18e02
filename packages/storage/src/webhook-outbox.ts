import { createHash, randomBytes } from 'node:crypto'
import type {
  ClaimWebhookOptions,
  DisableWebhookEndpoint,
  RecordedWebhookAttempt,
  WebhookDeliveryAttempt,
  WebhookNotification,
  WebhookOutboxMessage,
  WebhookStore,
} from '@churnwatch/contract'
import type { Pool, Queryable } from './pool.js'
import { withTransaction } from './pool.js'
import { matchesRouting, subscribedEndpoints, type WebhookRouting } from './webhook-endpoints.js'

// The webhook outbox (one message per event and subscribed endpoint) and its delivery log. The
// dispatcher in @churnwatch/webhooks works it through createWebhookStore (the contract's WebhookStore).

export type WebhookMessageStatus = 'pending' | 'delivered' | 'failed' | 'dead'

/** One outbox row: a message for one endpoint. */
export interface WebhookMessage {
  messageId: string
  endpointId: string
  eventType: string
  payload: Record<string, unknown>
  customerId: string | null
  createdAt: Date
  nextAttemptAt: Date
  attempts: number
  status: WebhookMessageStatus
  deliveredAt: Date | null
  lastError: string | null
  redeliveredAt: Date | null
}

export interface EnqueueWebhooksInput extends WebhookNotification {
  customerId?: string | null
  /** Owner, segment and revenue at risk, for endpoints that filter on them; absent: not filtered. */
  routing?: WebhookRouting
  /** created_at and first due time; the database clock when omitted. */
  now?: Date
}

export interface EnqueuedWebhook {
  messageId: string
  endpointId: string
}

/** One row of an endpoint's delivery log. */
export interface WebhookDelivery {
  id: number
  messageId: string
  endpointId: string
  attemptedAt: Date
  statusCode: number | null
  latencyMs: number
  ok: boolean
  error: string | null
}

interface RawMessage {
  message_id: string
  endpoint_id: string
  event_type: string
  payload: Record<string, unknown>
  customer_id: string | null
  created_at: Date
  next_attempt_at: Date
  attempts: number
  status: WebhookMessageStatus
  delivered_at: Date | null
  last_error: string | null
  redelivered_at: Date | null
}

interface RawDelivery {
  id: number
  message_id: string
  endpoint_id: string
  attempted_at: Date
  status_code: number | null
  latency_ms: number
  ok: boolean
  error: string | null
}

type ClaimedRow = Omit<RawMessage, 'status' | 'delivered_at' | 'last_error'> & { url: string; secret: string; description: string }

const MESSAGE_COLUMNS = `message_id, endpoint_id, event_type, payload, customer_id, created_at, next_attempt_at, attempts,
  status, delivered_at, last_error, redelivered_at`
const DELIVERY_COLUMNS = 'id, message_id, endpoint_id, attempted_at, status_code, latency_ms, ok, error'

function toMessage(r: RawMessage): WebhookMessage {
  return {
    messageId: r.message_id,
    endpointId: r.endpoint_id,
    eventType: r.event_type,
    payload: r.payload,
    customerId: r.customer_id,
    createdAt: r.created_at,
    nextAttemptAt: r.next_attempt_at,
    attempts: r.attempts,
    status: r.status,
    deliveredAt: r.delivered_at,
    lastError: r.last_error,
    redeliveredAt: r.redelivered_at,
  }
}

function toDelivery(r: RawDelivery): WebhookDelivery {
  return {
    id: r.id,
    messageId: r.message_id,
    endpointId: r.endpoint_id,
    attemptedAt: r.attempted_at,
    statusCode: r.status_code,
    latencyMs: r.latency_ms,
    ok: r.ok,
    error: r.error,
  }
}

/**
 * The `webhook-id` of the message for one endpoint: `msg_` + 32 hex of SHA-256 over the caller's
 * stable event id and the endpoint id. Deterministic (a replay maps to the same row) and
 * header-safe whatever characters the event id holds.
 */
export function webhookMessageId(messageIdPrefix: string, endpointId: string): string {
  // Endpoint ids cannot contain a newline (table CHECK), so the pair is encoded unambiguously.
  return `msg_${createHash('sha256').update(`${messageIdPrefix}\n${endpointId}`).digest('hex').slice(0, 32)}`
}

/**
 * Disables an enabled endpoint, gives up its outstanding messages (status dead; redeliver revives
 * one) and enqueues `notify` to the other subscribers, all in one transaction. False when the
 * endpoint does not exist or was already disabled, so concurrent workers notify once.
 */
export async function disableEndpoint(pool: Pool, input: DisableWebhookEndpoint): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const { rowCount } = await tx.query(
      'UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2 WHERE id = $1 AND enabled',
      [input.endpointId, input.reason],
    )
    if (!rowCount) return false
    await tx.query(
      `UPDATE webhook_outbox SET status = 'dead', last_error = $2
       WHERE endpoint_id = $1 AND status IN ('pending', 'failed')`,
      [input.endpointId, `endpoint disabled: ${input.reason}`],
    )
    if (input.notify) {
      await enqueueWebhooks(tx, { ...input.notify, customerId: null, ...(input.now ? { now: input.now } : {}) })
    }
    return true
  })
}

/**
 * Inserts one outbox message per enabled endpoint subscribed to `eventType` (or '*'), in the
 * caller's transaction: the event and its webhooks commit or roll back together. Message ids
 * derive from `messageIdPrefix` + endpoint id, so a replayed event inserts nothing twice.
 * Returns the messages inserted now.
 */
export async function enqueueWebhooks(tx: Queryable, input: EnqueueWebhooksInput): Promise<EnqueuedWebhook[]> {
  return enqueueWebhookEvents(tx, [input])
}

/**
 * enqueueWebhooks for many events in two statements however many there are (one to find the
 * subscribers, one insert), in event order.
 */
export async function enqueueWebhookEvents(tx: Queryable, inputs: readonly EnqueueWebhooksInput[]): Promise<EnqueuedWebhook[]> {
  if (inputs.length === 0) return []
  const subscribers = await subscribedEndpoints(tx, inputs.map((i) => i.eventType))
  const rows = inputs.flatMap((input) =>
    (subscribers.get(input.eventType) ?? [])
      .filter((endpoint) => matchesRouting(endpoint, input.routing))
      .map(({ id: endpointId }) => ({ input, endpointId, messageId: webhookMessageId(input.messageIdPrefix, endpointId) })),
  )
  if (rows.length === 0) return []
  const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f)
  const { rows: inserted } = await tx.query<{ message_id: string; endpoint_id: string }>(
    `INSERT INTO webhook_outbox (message_id, endpoint_id, event_type, payload, customer_id, created_at, next_attempt_at)
     SELECT m.message_id, m.endpoint_id, m.event_type, m.payload, m.customer_id, coalesce(m.at, now()), coalesce(m.at, now())
     FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::timestamptz[])
       WITH ORDINALITY AS m (message_id, endpoint_id, event_type, payload, customer_id, at, i)
     ORDER BY m.i
     ON CONFLICT (message_id) DO NOTHING
     RETURNING message_id, endpoint_id`,
    [
      col((r) => r.messageId),
      col((r) => r.endpointId),
      col((r) => r.input.eventType),
      col((r) => JSON.stringify(r.input.payload)),
      col((r) => r.input.customerId ?? null),
      col((r) => r.input.now ?? null),
    ],
  )
  return inserted.map((r) => ({ messageId: r.message_id, endpointId: r.endpoint_id }))
}

/**
 * Leases up to `limit` due messages of enabled endpoints to the caller by pushing their
 * next_attempt_at to now + leaseMs. `SKIP LOCKED` lets concurrent workers claim disjoint sets;
 * the lease keeps the rows away from other workers after this statement commits.
 */
export async function claimDueMessages(db: Queryable, options: ClaimWebhookOptions): Promise<WebhookOutboxMessage[]> {
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs)
  const { rows } = await db.query<ClaimedRow>(
    `WITH due AS (
       SELECT o.message_id
       FROM webhook_outbox o JOIN webhook_endpoints e ON e.id = o.endpoint_id
       WHERE o.status IN ('pending', 'failed') AND o.next_attempt_at <= $1 AND e.enabled
       ORDER BY o.next_attempt_at, o.message_id
       LIMIT $2
       FOR UPDATE OF o SKIP LOCKED
     )
     UPDATE webhook_outbox o SET next_attempt_at = $3
     FROM due, webhook_endpoints e
     WHERE o.message_id = due.message_id AND e.id = o.endpoint_id
     RETURNING o.message_id, o.endpoint_id, o.event_type, o.payload, o.customer_id, o.created_at, o.next_attempt_at,
       o.attempts, o.redelivered_at, e.url, e.secret, e.description`,
    [options.now, options.limit, leaseUntil],
  )
  return rows
    .map((r) => ({
      messageId: r.message_id,
      endpointId: r.endpoint_id,
      url: r.url,
      secret: r.secret,
      endpointDescription: r.description,
      eventType: r.event_type,
      payload: r.payload,
      customerId: r.customer_id,
      createdAt: r.created_at,
      attempts: r.attempts,
      retryWindowStart: r.redelivered_at ?? r.created_at,
      leaseUntil: r.next_attempt_at,
    }))
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
}

/**
 * Writes one attempt in one transaction: a delivery-log row, the message's new state (only if
 * it still holds this attempt's lease) and the endpoint's failure streak (failing_since set on
 * the first failure after a success, cleared on success).
 */
export async function recordAttempt(pool: Pool, attempt: WebhookDeliveryAttempt): Promise<RecordedWebhookAttempt> {
  const ok = attempt.outcome.status === 'delivered'
  const nextAttemptAt = attempt.outcome.status === 'failed' ? attempt.outcome.nextAttemptAt : null
  return withTransaction(pool, async (tx) => {
    // A message deleted mid-attempt (its endpoint was removed) leaves nothing to log against.
    await tx.query(
      `INSERT INTO webhook_deliveries (message_id, endpoint_id, attempted_at, status_code, latency_ms, ok, error)
       SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM webhook_outbox WHERE message_id = $1)`,
      [attempt.messageId, attempt.endpointId, attempt.attemptedAt, attempt.statusCode, Math.round(attempt.latencyMs), ok, attempt.error],
    )
    const { rowCount } = await tx.query(
      `UPDATE webhook_outbox SET
         status = $3,
         attempts = attempts + 1,
         next_attempt_at = coalesce($4, next_attempt_at),
         delivered_at = CASE WHEN $3 = 'delivered' THEN $5 ELSE delivered_at END,
         last_error = $6
       WHERE message_id = $1 AND next_attempt_at = $2 AND status IN ('pending', 'failed')`,
      [attempt.messageId, attempt.leaseUntil, attempt.outcome.status, nextAttemptAt, attempt.attemptedAt, attempt.error],
    )
    const { rows } = await tx.query<{ failing_since: Date | null }>(
      `UPDATE webhook_endpoints SET failing_since = CASE WHEN $2 THEN NULL ELSE coalesce(failing_since, $3) END
       WHERE id = $1 RETURNING failing_since`,
      [attempt.endpointId, ok, attempt.attemptedAt],
    )
    return { applied: (rowCount ?? 0) > 0, endpointFailingSince: rows[0]?.failing_since ?? null }
  })
}

/** An endpoint's delivery log, newest first; `before` is a delivery id to page past. */
export async function listDeliveries(
  db: Queryable,
  endpointId: string,
  options: { limit?: number; before?: number } = {},
): Promise<WebhookDelivery[]> {
  const { rows } = await db.query<RawDelivery>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
     WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR id < $2)
     ORDER BY id DESC LIMIT $3`,
    [endpointId, options.before ?? null, options.limit ?? 50],
  )
  return rows.map(toDelivery)
}

/** One outbox message, or undefined. */
export async function getWebhookMessage(db: Queryable, messageId: string): Promise<WebhookMessage | undefined> {
  const { rows } = await db.query<RawMessage>(`SELECT ${MESSAGE_COLUMNS} FROM webhook_outbox WHERE message_id = $1`, [messageId])
  return rows[0] ? toMessage(rows[0]) : undefined
}

/**
 * Manual redelivery: the message becomes due now with a fresh retry window and attempt count,
 * keeping its message id so receivers can recognise the duplicate. Undefined when unknown.
 */
export async function redeliver(db: Queryable, messageId: string, options: { now?: Date } = {}): Promise<WebhookMessage | undefined> {
  const { rows } = await db.query<RawMessage>(
    `UPDATE webhook_outbox SET status = 'pending', next_attempt_at = coalesce($2, now()), redelivered_at = coalesce($2, now()),
       attempts = 0, delivered_at = NULL, last_error = NULL
     WHERE message_id = $1
     RETURNING ${MESSAGE_COLUMNS}`,
    [messageId, options.now ?? null],
  )
  return rows[0] ? toMessage(rows[0]) : undefined
}

/**
 * Enqueues a `test` message for one endpoint only, whatever its subscriptions; the dispatcher
 * delivers it like any other. Returns the message id, or undefined when the endpoint is unknown.
 */
export async function enqueueTestWebhook(
  db: Queryable,
  input: { endpointId: string; payload: Record<string, unknown>; now?: Date },
): Promise<string | undefined> {
  const messageId = webhookMessageId(`test_${randomBytes(12).toString('hex')}`, input.endpointId)
  const { rowCount } = await db.query(
    `INSERT INTO webhook_outbox (message_id, endpoint_id, event_type, payload, customer_id, created_at, next_attempt_at)
     SELECT $1, id, 'test', $3::jsonb, NULL, coalesce($4, now()), coalesce($4, now()) FROM webhook_endpoints WHERE id = $2`,
    [messageId, input.endpointId, JSON.stringify(input.payload), input.now ?? null],
  )
  return (rowCount ?? 0) > 0 ? messageId : undefined
}

/** The outbox message a delivery-log row belongs to, or undefined. */
export async function deliveryMessageId(db: Queryable, deliveryId: number): Promise<string | undefined> {
  const { rows } = await db.query<{ message_id: string }>('SELECT message_id FROM webhook_deliveries WHERE id = $1', [deliveryId])
  return rows[0]?.message_id
}

/** Webhook health: outbox messages per status, and endpoints failing or disabled. */
export async function webhookHealth(
  db: Queryable,
): Promise<{ messagesByStatus: Record<string, number>; failingEndpoints: number; disabledEndpoints: number }> {
  const [messages, endpoints] = await Promise.all([
    db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM webhook_outbox GROUP BY status'),
    db.query<{ failing: number; disabled: number }>(
      `SELECT count(*) FILTER (WHERE enabled AND failing_since IS NOT NULL)::int AS failing,
              count(*) FILTER (WHERE NOT enabled)::int AS disabled
       FROM webhook_endpoints`,
    ),
  ])
  return {
    messagesByStatus: Object.fromEntries(messages.rows.map((r) => [r.status, r.n])),
    failingEndpoints: endpoints.rows[0]?.failing ?? 0,
    disabledEndpoints: endpoints.rows[0]?.disabled ?? 0,
  }
}

/** Binds the dispatcher's store functions to `pool`. */
export function createWebhookStore(pool: Pool): WebhookStore {
  return {
    claimDueMessages: (options) => claimDueMessages(pool, options),
    recordAttempt: (attempt) => recordAttempt(pool, attempt),
    disableEndpoint: (input) => disableEndpoint(pool, input),
  }
}
