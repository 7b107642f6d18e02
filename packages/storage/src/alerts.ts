import { RISK_CHANGED_EVENT, type AlertDetails, type AlertEvent, type AlertFields, type AlertKind, type AlertStatus, type Driver, type RiskScoreEvent } from '@churnwatch/contract'
import { enqueueKafkaMessages } from './kafka-outbox.js'
import type { PoolClient, Queryable } from './pool.js'
import { enqueueWebhookEvents } from './webhook-outbox.js'

/** An alert as stored: the fields its events carry, and how a person handled it. */
export interface AlertRow extends AlertFields {
  acknowledgedAt: string | null
  resolvedAt: string | null
  resolution: string | null
}

interface RawAlert {
  alert_id: string
  customer_id: string
  kind: AlertKind
  status: AlertStatus
  probability: number
  revenue_at_risk: number
  drivers: Driver[]
  play: string
  created_at: Date
  updated_at: Date
  acknowledged_at: Date | null
  resolved_at: Date | null
  resolution: string | null
  details: AlertDetails | null
}

export const ALERT_COLUMNS = `alert_id, customer_id, kind, status, probability, revenue_at_risk, drivers, play, created_at,
  updated_at, acknowledged_at, resolved_at, resolution, details`

/** Maps an alerts row to its API shape. */
export function toAlertRow(r: RawAlert): AlertRow {
  return {
    alertId: r.alert_id,
    customerId: r.customer_id,
    kind: r.kind,
    status: r.status,
    probability: r.probability,
    revenueAtRisk: r.revenue_at_risk,
    drivers: r.drivers,
    play: r.play,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    resolution: r.resolution,
    details: r.details ?? null,
  }
}

/** Open or acknowledged alerts of the given customers, locked for the rest of the transaction. */
export async function lockLiveAlerts(tx: PoolClient, customerIds: readonly string[]): Promise<AlertRow[]> {
  if (customerIds.length === 0) return []
  const { rows } = await tx.query<RawAlert>(
    `SELECT ${ALERT_COLUMNS} FROM alerts WHERE customer_id = ANY($1::text[]) AND status <> 'resolved'
     ORDER BY customer_id, kind FOR UPDATE`,
    [customerIds],
  )
  return rows.map(toAlertRow)
}

/** Every open or acknowledged alert of one kind (operator alerts: churn_rate_spike), locked for the transaction. */
export async function lockLiveAlertsOfKind(tx: PoolClient, kind: AlertKind): Promise<AlertRow[]> {
  const { rows } = await tx.query<RawAlert>(
    `SELECT ${ALERT_COLUMNS} FROM alerts WHERE kind = $1 AND status <> 'resolved' ORDER BY customer_id FOR UPDATE`,
    [kind],
  )
  return rows.map(toAlertRow)
}

/** Inserts new alerts and applies updates to existing ones (same alertId), in one transaction. */
export async function writeAlerts(tx: PoolClient, alerts: readonly AlertRow[]): Promise<void> {
  if (alerts.length === 0) return
  const col = <T>(f: (a: AlertRow) => T) => alerts.map(f)
  await tx.query(
    `INSERT INTO alerts AS a (alert_id, customer_id, kind, status, probability, revenue_at_risk, drivers, play,
                              created_at, updated_at, acknowledged_at, resolved_at, resolution, details)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::bigint[], $7::jsonb[],
                          $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[],
                          $14::jsonb[])
     ON CONFLICT (customer_id, alert_id) DO UPDATE SET
       status = excluded.status, probability = excluded.probability, revenue_at_risk = excluded.revenue_at_risk,
       drivers = excluded.drivers, play = excluded.play, updated_at = excluded.updated_at,
       acknowledged_at = excluded.acknowledged_at, resolved_at = excluded.resolved_at, resolution = excluded.resolution,
       details = excluded.details`,
    [
      col((a) => a.alertId),
      col((a) => a.customerId),
      col((a) => a.kind),
      col((a) => a.status),
      col((a) => a.probability),
      col((a) => a.revenueAtRisk),
      col((a) => JSON.stringify(a.drivers)),
      col((a) => a.play),
      col((a) => a.createdAt),
      col((a) => a.updatedAt),
      col((a) => a.acknowledgedAt),
      col((a) => a.resolvedAt),
      col((a) => a.resolution),
      col((a) => (a.details ? JSON.stringify(a.details) : null)),
    ],
  )
}

/**
 * Records alert change events for everything downstream, in the caller's transaction (so they
 * leave only if the changes commit): a webhook outbox row per event and subscribed endpoint, and
 * a Kafka outbox row per event on `topic` keyed by customer. Three statements however many
 * events; the caller relays the Kafka outbox after the commit.
 */
export async function recordAlertChanges(tx: PoolClient, topic: string, events: readonly AlertEvent[]): Promise<void> {
  if (events.length === 0) return
  await enqueueWebhookEvents(
    tx,
    events.map((e) => ({ eventType: e.kind, payload: e, customerId: e.customerId, messageIdPrefix: e.eventId })),
  )
  await enqueueKafkaMessages(tx, topic, events.map((e) => ({ key: e.customerId, value: e })))
}

/**
 * Enqueues a `risk_changed` webhook per material score change for the endpoints that subscribed to
 * that kind by name ('*' does not include it), in the caller's transaction; the payload is the
 * score's churn.risk-scores.v1 event (with `changes`), its webhook-id stable per event and endpoint.
 */
export async function recordRiskChanges(tx: PoolClient, events: readonly RiskScoreEvent[]): Promise<void> {
  if (events.length === 0) return
  await enqueueWebhookEvents(
    tx,
    events.map((e) => ({ eventType: RISK_CHANGED_EVENT, payload: e, customerId: e.customerId, messageIdPrefix: e.eventId })),
  )
}

/** One alert by id, or undefined. */
export async function getAlert(db: Queryable, alertId: string): Promise<AlertRow | undefined> {
  const { rows } = await db.query<RawAlert>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE alert_id = $1`, [alertId])
  return rows[0] ? toAlertRow(rows[0]) : undefined
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
