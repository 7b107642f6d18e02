import { randomBytes } from 'node:crypto'
import { RISK_CHANGED_EVENT } from '@churnwatch/contract'
import type { Queryable } from './pool.js'

// Webhook endpoints: the receivers an admin registers, with their subscriptions and health.

/** Subscribes an endpoint to every event kind. */
export const ALL_WEBHOOK_EVENTS = '*'

/** Kinds an endpoint receives only when it names them: '*' means every alert kind, not every score change. */
export const OPT_IN_WEBHOOK_EVENTS: readonly string[] = [RISK_CHANGED_EVENT]

/**
 * Narrows what an endpoint receives among its kinds (ADR 0015): each filter set must match. They
 * apply to events that name an owner, segment or revenue at risk (customer alerts); an event
 * without routing facts (endpoint_disabled, test) is not filtered.
 */
export interface WebhookRoutingFilters {
  /** Only alerts of customers owned by one of these; null: any owner. */
  ownerIds: string[] | null
  /** Only alerts of customers in one of these segments; null: any segment. */
  segments: string[] | null
  /** Only alerts with at least this revenue at risk (integer minor units); null: any. */
  minRevenueAtRisk: number | null
}

/** The routing facts of one event, matched against each endpoint's filters. */
export interface WebhookRouting {
  ownerId: string | null
  segment: string | null
  revenueAtRisk: number
}

/** True when an event with `routing` passes `filters` (no routing facts: always). */
export function matchesRouting(filters: WebhookRoutingFilters, routing: WebhookRouting | undefined): boolean {
  if (!routing) return true
  if (filters.ownerIds && (routing.ownerId === null || !filters.ownerIds.includes(routing.ownerId))) return false
  if (filters.segments && (routing.segment === null || !filters.segments.includes(routing.segment))) return false
  return filters.minRevenueAtRisk === null || routing.revenueAtRisk >= filters.minRevenueAtRisk
}

/** A registered receiver, without its signing secret (read that with getEndpointSecret). */
export interface WebhookEndpoint extends WebhookRoutingFilters {
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
  /** Routing filters; absent or null: no filter. */
  ownerIds?: readonly string[] | null
  segments?: readonly string[] | null
  minRevenueAtRisk?: number | null
  now?: Date
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
  owner_ids: string[] | null
  segments: string[] | null
  min_revenue_at_risk: string | null
}

const ENDPOINT_COLUMNS = 'id, url, event_kinds, description, enabled, disabled_reason, failing_since, created_at, owner_ids, segments, min_revenue_at_risk'

function toFilters(r: Pick<RawEndpoint, 'owner_ids' | 'segments' | 'min_revenue_at_risk'>): WebhookRoutingFilters {
  // bigint arrives as text from pg; revenue at risk stays far inside the safe integers.
  return { ownerIds: r.owner_ids, segments: r.segments, minRevenueAtRisk: r.min_revenue_at_risk === null ? null : Number(r.min_revenue_at_risk) }
}

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
    ...toFilters(r),
  }
}

/** Registers an endpoint (enabled). The secret is stored but never returned. */
export async function createEndpoint(db: Queryable, input: NewWebhookEndpoint): Promise<WebhookEndpoint> {
  const id = input.id ?? `ep_${randomBytes(12).toString('hex')}`
  const { rows } = await db.query<RawEndpoint>(
    `INSERT INTO webhook_endpoints (id, url, secret, event_kinds, description, created_at, owner_ids, segments, min_revenue_at_risk)
     VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8, $9)
     RETURNING ${ENDPOINT_COLUMNS}`,
    [
      id,
      input.url,
      input.secret,
      input.eventKinds,
      input.description ?? '',
      input.now ?? null,
      input.ownerIds ?? null,
      input.segments ?? null,
      input.minRevenueAtRisk ?? null,
    ],
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

/** An endpoint subscribed to an event type, with its routing filters. */
export interface Subscriber extends WebhookRoutingFilters {
  id: string
}

/**
 * The enabled endpoints subscribed to each of `eventTypes` (by name, or through '*' for kinds
 * that are not opt-in), ids in order, in one query; event types nobody listens to are absent.
 */
export async function subscribedEndpoints(db: Queryable, eventTypes: readonly string[]): Promise<Map<string, Subscriber[]>> {
  const subscribers = new Map<string, Subscriber[]>()
  if (eventTypes.length === 0) return subscribers
  const { rows } = await db.query<{ event_type: string; id: string } & Pick<RawEndpoint, 'owner_ids' | 'segments' | 'min_revenue_at_risk'>>(
    `SELECT t.event_type, e.id, e.owner_ids, e.segments, e.min_revenue_at_risk
     FROM (SELECT DISTINCT unnest($1::text[]) AS event_type) t
     JOIN webhook_endpoints e ON e.enabled
       AND (t.event_type = ANY (e.event_kinds) OR ($2 = ANY (e.event_kinds) AND t.event_type <> ALL ($3::text[])))
     ORDER BY t.event_type, e.id`,
    [eventTypes, ALL_WEBHOOK_EVENTS, OPT_IN_WEBHOOK_EVENTS],
  )
  for (const r of rows) {
    const list = subscribers.get(r.event_type) ?? []
    list.push({ id: r.id, ...toFilters(r) })
    subscribers.set(r.event_type, list)
  }
  return subscribers
}
