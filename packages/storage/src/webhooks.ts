import { createHash, randomBytes } from 'node:crypto'
import type { Pool, Queryable } from './pool.js'
import { withTransaction } from './pool.js'

/** Subscribes an endpoint to every event kind. */
export const ALL_WEBHOOK_EVENTS = '*'

/** A registered receiver, without its signing secret (read that with getEndpointSecret). */
export interface WebhookEndpoint {
  id: string
  url: string
  eventKinds: string[]
  description: string
  enabled: boolean
  disabledReason: string | null
  /** First failed attempt since the last success; null while healthy. */
  failingSince: Date | null
  createdAt: Date
}

export interface NewWebhookEndpoint {
  /** `[A-Za-z0-9_-]{1,64}`; a random `ep_…` id when omitted. */
  id?: string
  url: string
  /** `whsec_<base64>`, e.g. from @churnwatch/webhooks generateSecret(). */
  secret: string
  /** Alert kinds, 'endpoint_disabled', or '*' for all. */
  eventKinds: readonly string[]
  description?: string
  now?: Date
}

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

export interface EnqueueWebhooksInput {
  /** The event kind; endpoints subscribed to it (or to '*') get a message. */
  eventType: string
  payload: Record<string, unknown>
  customerId?: string | null
  /** The caller's stable id for the event (e.g. the alert event's eventId): replays insert nothing. */
  messageIdPrefix: string
  /** created_at and first due time; the database clock when omitted. */
  now?: Date
}

export interface EnqueuedWebhook {
  messageId: string
  endpointId: string
}

/** A due message leased to one worker until `leaseUntil`, with what is needed to send it. */
export interface ClaimedWebhookMessage {
  messageId: string
  endpointId: string
  url: string
  secret: string
  endpointDescription: string
  eventType: string
  payload: Record<string, unknown>
  customerId: string | null
  createdAt: Date
  /** Attempts made before this one. */
  attempts: number
  /** When the retry window opened: created_at, or the last manual redelivery. */
  retryWindowStart: Date
  /** The lease; recordAttempt only applies while the message still carries it. */
  leaseUntil: Date
}

export interface ClaimOptions {
  limit: number
  now: Date
  /** How long other workers must leave the claimed messages alone; longer than a delivery can take. */
  leaseMs: number
}

export type AttemptOutcome = { status: 'delivered' } | { status: 'failed'; nextAttemptAt: Date } | { status: 'dead' }

export interface WebhookAttempt {
  messageId: string
  endpointId: string
  leaseUntil: Date
  attemptedAt: Date
  /** Null when no HTTP response came back. */
  statusCode: number | null
  latencyMs: number
  error: string | null
  outcome: AttemptOutcome
}

export interface RecordedAttempt {
  /** False when the lease was lost (redelivered, endpoint disabled or re-claimed): the outbox row was left alone. */
  applied: boolean
  /** The endpoint's failing_since after this attempt. */
  endpointFailingSince: Date | null
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

export interface DisableEndpointInput {
  endpointId: string
  reason: string
  now?: Date
  /** An event for the other subscribed endpoints, enqueued in the same transaction. */
  notify?: Omit<EnqueueWebhooksInput, 'now' | 'customerId'>
}

interface RawEndpoint {
  id: string
  url: string
  event_kinds: string[]
  description: string
  enabled: boolean
  disabled_reason: string | null
  failing_since: Date | null
  created_at: Date
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

const ENDPOINT_COLUMNS = 'id, url, event_kinds, description, enabled, disabled_reason, failing_since, created_at'
const MESSAGE_COLUMNS = `message_id, endpoint_id, event_type, payload, customer_id, created_at, next_attempt_at, attempts,
  status, delivered_at, last_error, redelivered_at`
const DELIVERY_COLUMNS = 'id, message_id, endpoint_id, attempted_at, status_code, latency_ms, ok, error'

function toEndpoint(r: RawEndpoint): WebhookEndpoint {
  return {
    id: r.id,
    url: r.url,
    eventKinds: r.event_kinds,
    description: r.description,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    failingSince: r.failing_since,
    createdAt: r.created_at,
  }
}

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

/** Registers an endpoint (enabled). The secret is stored but never returned. */
export async function createEndpoint(db: Queryable, input: NewWebhookEndpoint): Promise<WebhookEndpoint> {
  const id = input.id ?? `ep_${randomBytes(12).toString('hex')}`
  const { rows } = await db.query<RawEndpoint>(
    `INSERT INTO webhook_endpoints (id, url, secret, event_kinds, description, created_at)
     VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
     RETURNING ${ENDPOINT_COLUMNS}`,
    [id, input.url, input.secret, input.eventKinds, input.description ?? '', input.now ?? null],
  )
  const row = rows[0]
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  return toEndpoint(row)
}

/** Every endpoint, oldest first. */
export async function listEndpoints(db: Queryable): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<RawEndpoint>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id`)
  return rows.map(toEndpoint)
}

/** One endpoint, or undefined. */
export async function getEndpoint(db: Queryable, id: string): Promise<WebhookEndpoint | undefined> {
  const { rows } = await db.query<RawEndpoint>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1`, [id])
  return rows[0] ? toEndpoint(rows[0]) : undefined
}

/** The endpoint's signing secret, or undefined (for showing it to its owner once more). */
export async function getEndpointSecret(db: Queryable, id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ secret: string }>('SELECT secret FROM webhook_endpoints WHERE id = $1', [id])
  return rows[0]?.secret
}

/** Removes an endpoint with its outbox messages and delivery log; false when it did not exist. */
export async function deleteEndpoint(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM webhook_endpoints WHERE id = $1', [id])
  return (rowCount ?? 0) > 0
}

/** Re-enables an endpoint with a clean failure record; false when it does not exist. */
export async function enableEndpoint(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL, failing_since = NULL WHERE id = $1',
    [id],
  )
  return (rowCount ?? 0) > 0
}

/**
 * Disables an enabled endpoint, gives up its outstanding messages (status dead; redeliver revives
 * one) and enqueues `notify` to the other subscribers, all in one transaction. False when the
 * endpoint does not exist or was already disabled, so concurrent workers notify once.
 */
export async function disableEndpoint(pool: Pool, input: DisableEndpointInput): Promise<boolean> {
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
  const { rows: endpoints } = await tx.query<{ id: string }>(
    `SELECT id FROM webhook_endpoints
     WHERE enabled AND ($1 = ANY (event_kinds) OR $2 = ANY (event_kinds))
     ORDER BY id`,
    [input.eventType, ALL_WEBHOOK_EVENTS],
  )
  if (endpoints.length === 0) return []
  const endpointIds = endpoints.map((e) => e.id)
  const messageIds = endpointIds.map((id) => webhookMessageId(input.messageIdPrefix, id))
  const { rows } = await tx.query<{ message_id: string; endpoint_id: string }>(
    `INSERT INTO webhook_outbox (message_id, endpoint_id, event_type, payload, customer_id, created_at, next_attempt_at)
     SELECT m.message_id, m.endpoint_id, $3, $4::jsonb, $5, coalesce($6, now()), coalesce($6, now())
     FROM unnest($1::text[], $2::text[]) AS m (message_id, endpoint_id)
     ON CONFLICT (message_id) DO NOTHING
     RETURNING message_id, endpoint_id`,
    [messageIds, endpointIds, input.eventType, JSON.stringify(input.payload), input.customerId ?? null, input.now ?? null],
  )
  return rows.map((r) => ({ messageId: r.message_id, endpointId: r.endpoint_id }))
}

/**
 * Leases up to `limit` due messages of enabled endpoints to the caller by pushing their
 * next_attempt_at to now + leaseMs. `SKIP LOCKED` lets concurrent workers claim disjoint sets;
 * the lease keeps the rows away from other workers after this statement commits.
 */
export async function claimDueMessages(db: Queryable, options: ClaimOptions): Promise<ClaimedWebhookMessage[]> {
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
export async function recordAttempt(pool: Pool, attempt: WebhookAttempt): Promise<RecordedAttempt> {
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

/** The store functions the webhook dispatcher uses, bound to a pool. */
export interface PgWebhookStore {
  claimDueMessages: (options: ClaimOptions) => Promise<ClaimedWebhookMessage[]>
  recordAttempt: (attempt: WebhookAttempt) => Promise<RecordedAttempt>
  disableEndpoint: (input: DisableEndpointInput) => Promise<boolean>
}

/** Binds the dispatcher's store functions to `pool` (structurally @churnwatch/webhooks' WebhookStore). */
export function createWebhookStore(pool: Pool): PgWebhookStore {
  return {
    claimDueMessages: (options: ClaimOptions) => claimDueMessages(pool, options),
    recordAttempt: (attempt: WebhookAttempt) => recordAttempt(pool, attempt),
    disableEndpoint: (input: DisableEndpointInput) => disableEndpoint(pool, input),
  }
}
