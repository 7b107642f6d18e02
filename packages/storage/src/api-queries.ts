import { randomBytes } from 'node:crypto'
import type { AlertKind, AlertStatus, BillingType, Driver, RiskBand } from '@churnwatch/contract'
import { ALERT_COLUMNS, toAlertRow, type AlertRow } from './alerts.js'
import type { BillingRow } from './feature-state.js'
import type { PoolClient, Queryable } from './pool.js'
import { SCORE_COLUMNS, toStoredScore, type StoredScore } from './scores.js'
import { webhookMessageId } from './webhooks.js'

// Read and small-write queries behind services/api: ranked score lists with snapshot-aware keyset
// pagination, score history, alert listing and acknowledgement, metrics input and operational counts.

export type ScoreSort = 'revenueAtRisk' | 'probability'

/** Where a walk over the ranked list stands: the last row's sort key and the walk's first snapshot. */
export interface ScoreListPosition {
  /** revenue_at_risk (integer minor units) or probability of the last row returned. */
  key: number
  customerId: string
  /** pg_snapshot text of the walk's first page. */
  snapshot: string
}

export interface ScoreListQuery {
  sort: ScoreSort
  bands?: readonly RiskBand[]
  minProbability?: number
  /** Rows rescored at or after this instant (scored_at). */
  updatedSince?: string
  /** Rows whose last material change is newer than this change_seq. */
  changedSince?: number
  limit: number
  after?: ScoreListPosition
}

export interface ScoreListPage {
  rows: StoredScore[]
  /** The snapshot every later page of this walk is read against. */
  snapshot: string
  /** Database time of the walk's first page (only on the first page, and only when it had rows). */
  walkStartedAt?: string
  /** Present when more rows may follow. */
  next?: ScoreListPosition
}

const SORT_COLUMNS: Record<ScoreSort, { column: string; cast: string }> = {
  revenueAtRisk: { column: 'revenue_at_risk', cast: 'bigint' },
  probability: { column: 'probability', cast: 'float8' },
}

// True when the row version (its xmin) was committed as seen by the snapshot in `$n`: 32-bit xmin is
// widened to a full xid8 with the epoch of the current snapshot (the row is visible now, so its xid
// is below the current xmax; subtracting 2^32 when the widened value is not undoes an epoch rollover).
const visibleIn = (alias: string, param: string) => `pg_visible_in_snapshot(
    (CASE WHEN ((cur.xmax >> 32) << 32 | ${alias}.xmin::text::bigint) >= cur.xmax
          THEN GREATEST(((cur.xmax >> 32) << 32 | ${alias}.xmin::text::bigint) - 4294967296, 0)
          ELSE ((cur.xmax >> 32) << 32 | ${alias}.xmin::text::bigint) END)::text::xid8,
    ${param}::pg_snapshot)`

type RawScore = Parameters<typeof toStoredScore>[0]

/**
 * One page of current scores ranked by `sort` (descending, then customer id), with keyset paging.
 * Later pages keep only rows whose version the first page's snapshot already saw: a customer
 * rescored during the walk is never returned twice (it may be left out), and every customer not
 * rescored meanwhile is returned exactly once, in snapshot order.
 */
export async function listScores(db: Queryable, query: ScoreListQuery): Promise<ScoreListPage> {
  const { column, cast } = SORT_COLUMNS[query.sort]
  const params: unknown[] = []
  const param = (value: unknown) => {
    params.push(value)
    return `$${params.length}`
  }
  const where: string[] = []
  if (query.bands && query.bands.length > 0) where.push(`s.band = ANY(${param(query.bands)}::text[])`)
  if (query.minProbability !== undefined) where.push(`s.probability >= ${param(query.minProbability)}::float8`)
  if (query.updatedSince !== undefined) where.push(`s.scored_at >= ${param(query.updatedSince)}::timestamptz`)
  if (query.changedSince !== undefined) where.push(`s.change_seq > ${param(query.changedSince)}::bigint`)
  if (query.after) {
    const key = param(query.after.key)
    const id = param(query.after.customerId)
    // `col <= key` gives the index a range start; the rest breaks ties by customer id.
    where.push(`s.${column} <= ${key}::${cast} AND (s.${column} < ${key}::${cast} OR s.customer_id > ${id})`)
    where.push(visibleIn('s', param(query.after.snapshot)))
  }
  const limit = param(query.limit + 1)
  const { rows } = await db.query<RawScore & { snapshot: string; read_at: Date }>(
    `SELECT ${SCORE_COLUMNS}, cur.snapshot, statement_timestamp() AS read_at
     FROM risk_scores s,
          (SELECT pg_current_snapshot()::text AS snapshot,
                  pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax) cur
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY s.${column} DESC, s.customer_id
     LIMIT ${limit}`,
    params,
  )
  const page = rows.slice(0, query.limit).map(toStoredScore)
  const snapshot = query.after?.snapshot ?? rows[0]?.snapshot ?? ''
  const last = page[page.length - 1]
  const result: ScoreListPage = { rows: page, snapshot }
  if (!query.after && rows[0]) result.walkStartedAt = rows[0].read_at.toISOString()
  if (rows.length > query.limit && last) {
    result.next = { key: query.sort === 'probability' ? last.probability : last.revenueAtRisk, customerId: last.customerId, snapshot }
  }
  return result
}

/**
 * Current scores of the given customers, as a named prepared statement: the API's hottest query,
 * planned once per connection instead of on every call.
 */
export async function readScoresByIds(db: Queryable, customerIds: readonly string[]): Promise<Map<string, StoredScore>> {
  if (customerIds.length === 0) return new Map()
  const { rows } = await db.query<RawScore>({
    name: 'cw_api_read_scores',
    text: `SELECT ${SCORE_COLUMNS} FROM risk_scores WHERE customer_id = ANY($1::text[])`,
    values: [customerIds],
  })
  return new Map(rows.map((r) => [r.customer_id, toStoredScore(r)]))
}

/** The subset of `customerIds` that churnwatch knows (any stored state, score or score history). */
export async function knownCustomers(db: Queryable, customerIds: readonly string[]): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set()
  const { rows } = await db.query<{ customer_id: string }>(
    `SELECT customer_id FROM customers WHERE customer_id = ANY($1::text[])
     UNION SELECT customer_id FROM risk_scores WHERE customer_id = ANY($1::text[])
     UNION SELECT DISTINCT customer_id FROM risk_score_history WHERE customer_id = ANY($1::text[])`,
    [customerIds],
  )
  return new Set(rows.map((r) => r.customer_id))
}

/** One material score change of a customer, as kept in risk_score_history. */
export interface ScoreHistoryEntry {
  asOf: string
  scoredAt: string
  probability: number
  band: RiskBand
  drivers: Driver[]
  modelVersion: string
}

/** Position in a customer's history: the exact as_of text and model version of the last entry. */
export interface ScoreHistoryPosition {
  asOf: string
  modelVersion: string
}

/** A customer's material score changes, newest first, after `before` (keyset). */
export async function readScoreHistory(
  db: Queryable,
  customerId: string,
  options: { limit: number; before?: ScoreHistoryPosition },
): Promise<{ entries: ScoreHistoryEntry[]; next?: ScoreHistoryPosition }> {
  const { rows } = await db.query<{
    as_of: Date
    as_of_text: string
    scored_at: Date
    probability: number
    band: RiskBand
    drivers: Driver[]
    model_version: string
  }>(
    `SELECT as_of, to_json(as_of) #>> '{}' AS as_of_text, scored_at, probability, band, drivers, model_version
     FROM risk_score_history
     WHERE customer_id = $1 AND ($2::timestamptz IS NULL OR (as_of, model_version) < ($2::timestamptz, $3::text))
     ORDER BY as_of DESC, model_version DESC
     LIMIT $4`,
    [customerId, options.before?.asOf ?? null, options.before?.modelVersion ?? null, options.limit + 1],
  )
  const entries = rows.slice(0, options.limit).map((r) => ({
    asOf: r.as_of.toISOString(),
    scoredAt: r.scored_at.toISOString(),
    probability: r.probability,
    band: r.band,
    drivers: r.drivers,
    modelVersion: r.model_version,
  }))
  const last = rows[options.limit - 1]
  return rows.length > options.limit && last ? { entries, next: { asOf: last.as_of_text, modelVersion: last.model_version } } : { entries }
}

/** Position in the alert list: the exact created_at text and id of the last alert returned. */
export interface AlertListPosition {
  createdAt: string
  alertId: string
}

export interface AlertListQuery {
  statuses?: readonly AlertStatus[]
  kinds?: readonly AlertKind[]
  /** Alerts created at or after this instant. */
  since?: string
  limit: number
  after?: AlertListPosition
}

/**
 * Alerts, newest first (created_at DESC, alert_id), with keyset paging. The sort key never changes
 * once an alert exists, so walks are stable; status filters apply to the status at read time.
 */
export async function listAlerts(db: Queryable, query: AlertListQuery): Promise<{ alerts: AlertRow[]; next?: AlertListPosition }> {
  const params: unknown[] = []
  const param = (value: unknown) => {
    params.push(value)
    return `$${params.length}`
  }
  const where: string[] = []
  if (query.statuses && query.statuses.length > 0) where.push(`status = ANY(${param(query.statuses)}::text[])`)
  if (query.kinds && query.kinds.length > 0) where.push(`kind = ANY(${param(query.kinds)}::text[])`)
  if (query.since !== undefined) where.push(`created_at >= ${param(query.since)}::timestamptz`)
  if (query.after) {
    const at = param(query.after.createdAt)
    const id = param(query.after.alertId)
    where.push(`created_at <= ${at}::timestamptz AND (created_at < ${at}::timestamptz OR alert_id > ${id})`)
  }
  const limit = param(query.limit + 1)
  const { rows } = await db.query<Parameters<typeof toAlertRow>[0] & { created_at_text: string }>(
    `SELECT ${ALERT_COLUMNS}, to_json(created_at) #>> '{}' AS created_at_text
     FROM alerts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, alert_id
     LIMIT ${limit}`,
    params,
  )
  const alerts = rows.slice(0, query.limit).map(toAlertRow)
  const last = rows[query.limit - 1]
  return rows.length > query.limit && last ? { alerts, next: { createdAt: last.created_at_text, alertId: last.alert_id } } : { alerts }
}

/** What a status change did: `changed`, `unchanged` (already there), or why it could not apply. */
export type AlertTransition =
  | { outcome: 'changed' | 'unchanged'; alert: AlertRow }
  | { outcome: 'conflict'; alert: AlertRow }
  | { outcome: 'not_found' }

async function lockAlert(tx: PoolClient, alertId: string): Promise<AlertRow | undefined> {
  // The scorer locks live alerts the same way (FOR UPDATE), so a manual change and a rescore serialise.
  const { rows } = await tx.query<Parameters<typeof toAlertRow>[0]>(
    `SELECT ${ALERT_COLUMNS} FROM alerts WHERE alert_id = $1 ORDER BY customer_id LIMIT 1 FOR UPDATE`,
    [alertId],
  )
  return rows[0] ? toAlertRow(rows[0]) : undefined
}

/** Acknowledges an open alert (in the caller's transaction); a resolved alert is a conflict. */
export async function acknowledgeAlert(tx: PoolClient, alertId: string, at: Date): Promise<AlertTransition> {
  const alert = await lockAlert(tx, alertId)
  if (!alert) return { outcome: 'not_found' }
  if (alert.status === 'resolved') return { outcome: 'conflict', alert }
  if (alert.status === 'acknowledged') return { outcome: 'unchanged', alert }
  const { rows } = await tx.query<Parameters<typeof toAlertRow>[0]>(
    `UPDATE alerts SET status = 'acknowledged', acknowledged_at = $3, updated_at = $3
     WHERE customer_id = $1 AND alert_id = $2 RETURNING ${ALERT_COLUMNS}`,
    [alert.customerId, alertId, at],
  )
  return rows[0] ? { outcome: 'changed', alert: toAlertRow(rows[0]) } : { outcome: 'not_found' }
}

/** Resolves an open or acknowledged alert with a resolution note (in the caller's transaction). */
export async function resolveAlert(tx: PoolClient, alertId: string, at: Date, resolution: string): Promise<AlertTransition> {
  const alert = await lockAlert(tx, alertId)
  if (!alert) return { outcome: 'not_found' }
  if (alert.status === 'resolved') return { outcome: 'unchanged', alert }
  const { rows } = await tx.query<Parameters<typeof toAlertRow>[0]>(
    `UPDATE alerts SET status = 'resolved', resolved_at = $3, updated_at = $3, resolution = $4
     WHERE customer_id = $1 AND alert_id = $2 RETURNING ${ALERT_COLUMNS}`,
    [alert.customerId, alertId, at, resolution],
  )
  return rows[0] ? { outcome: 'changed', alert: toAlertRow(rows[0]) } : { outcome: 'not_found' }
}

/** Billing types that change a subscription's status or MRR (what churn metrics fold). */
export const LIFECYCLE_BILLING_TYPES: readonly BillingType[] = [
  'subscription_started',
  'subscription_changed',
  'subscription_canceled',
  'subscription_ended',
  'subscription_reactivated',
]

/**
 * Lifecycle billing events of every customer, grouped by customer in event-time order, read in
 * chunks of `chunkCustomers` customers (invoices and payments are left out: no metric needs them).
 * `until` (exclusive) drops later events.
 */
export async function readLifecycleHistories(
  db: Queryable,
  options: { until?: Date; chunkCustomers?: number } = {},
): Promise<Array<{ customerId: string; billing: BillingRow[] }>> {
  const chunk = options.chunkCustomers ?? 5_000
  const histories: Array<{ customerId: string; billing: BillingRow[] }> = []
  let after = ''
  for (;;) {
    const { rows: ids } = await db.query<{ customer_id: string }>(
      `SELECT DISTINCT customer_id FROM billing_events WHERE customer_id > $1 ORDER BY customer_id LIMIT $2`,
      [after, chunk],
    )
    const lastId = ids[ids.length - 1]?.customer_id
    if (lastId === undefined) break
    const { rows } = await db.query<{
      customer_id: string
      event_id: string
      occurred_at: Date
      type: BillingType
      mrr: number | null
      amount: number | null
      plan: string | null
      reason: string | null
      voluntary: boolean | null
    }>(
      `SELECT customer_id, event_id, occurred_at, type, mrr, amount, plan, reason, voluntary
       FROM billing_events
       WHERE customer_id > $1 AND customer_id <= $2 AND type = ANY($3::text[])
         AND ($4::timestamptz IS NULL OR occurred_at < $4)
       ORDER BY customer_id, occurred_at, event_id`,
      [after, lastId, LIFECYCLE_BILLING_TYPES, options.until ?? null],
    )
    let current: { customerId: string; billing: BillingRow[] } | undefined
    for (const r of rows) {
      if (current?.customerId !== r.customer_id) {
        current = { customerId: r.customer_id, billing: [] }
        histories.push(current)
      }
      current.billing.push({
        eventId: r.event_id,
        occurredAt: r.occurred_at.getTime(),
        type: r.type,
        mrr: r.mrr,
        amount: r.amount,
        plan: r.plan,
        reason: r.reason,
        voluntary: r.voluntary,
      })
    }
    after = lastId
    if (ids.length < chunk) break
  }
  return histories
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

/** Current scores per band (bands with no customer are absent). */
export async function countScoresByBand(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ band: string; n: number }>('SELECT band, count(*)::int AS n FROM risk_scores GROUP BY band')
  return Object.fromEntries(rows.map((r) => [r.band, r.n]))
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
