import { RISK_CHANGED_EVENT, type AlertDetails, type AlertEvent, type AlertFields, type AlertKind, type AlertStatus, type Driver, type RiskScoreEvent } from '@churnwatch/contract'
import { enqueueKafkaMessages } from './kafka-outbox.js'
import type { PoolClient, Queryable } from './pool.js'
import { customerFilterSql, type CustomerFilters } from './scores.js'
import { enqueueWebhookEvents } from './webhook-outbox.js'

/** An alert as stored: the fields its events carry, and how a person handled it. */
export interface AlertRow extends AlertFields {
  acknowledgedAt: string | null
  resolvedAt: string | null
  resolution: string | null
  /** Hidden from the default list until then (ADR 0015); null when not snoozed. Read only: writeAlerts leaves it. */
  snoozedUntil?: string | null
  snoozeNote?: string | null
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
  owner_id: string | null
  segment: string | null
  snoozed_until: Date | null
  snooze_note: string | null
  details: AlertDetails | null
}

export const ALERT_COLUMNS = `alert_id, customer_id, kind, status, probability, revenue_at_risk, drivers, play, created_at,
  updated_at, acknowledged_at, resolved_at, resolution, owner_id, segment, snoozed_until, snooze_note, details`

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
    ownerId: r.owner_id,
    segment: r.segment,
    snoozedUntil: r.snoozed_until?.toISOString() ?? null,
    snoozeNote: r.snooze_note,
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
                              created_at, updated_at, acknowledged_at, resolved_at, resolution, owner_id, segment, details)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::bigint[], $7::jsonb[],
                          $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[],
                          $14::text[], $15::text[], $16::jsonb[])
     ON CONFLICT (customer_id, alert_id) DO UPDATE SET
       status = excluded.status, probability = excluded.probability, revenue_at_risk = excluded.revenue_at_risk,
       drivers = excluded.drivers, play = excluded.play, updated_at = excluded.updated_at,
       acknowledged_at = excluded.acknowledged_at, resolved_at = excluded.resolved_at, resolution = excluded.resolution,
       details = excluded.details,
       owner_id = excluded.owner_id, segment = excluded.segment,
       -- A resolved alert is no longer snoozed: nothing is left to come back.
       snoozed_until = CASE WHEN excluded.status = 'resolved' THEN NULL ELSE a.snoozed_until END`,
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
      col((a) => a.ownerId ?? null),
      col((a) => a.segment ?? null),
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
    events.map((e) => ({
      eventType: e.kind,
      payload: e,
      customerId: e.customerId,
      messageIdPrefix: e.eventId,
      routing: { ownerId: e.ownerId ?? null, segment: e.segment ?? null, revenueAtRisk: e.revenueAtRisk },
    })),
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

/** exclude: hide alerts snoozed at `now` (the default list); include: show them too; only: nothing else. */
export type SnoozedFilter = 'exclude' | 'include' | 'only'

export interface AlertListQuery extends CustomerFilters {
  statuses?: readonly AlertStatus[]
  kinds?: readonly AlertKind[]
  customerIds?: readonly string[]
  /** Alerts created at or after this instant. */
  since?: string
  snoozed?: { filter: SnoozedFilter; now: string }
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
  if (query.statuses && query.statuses.length > 0) where.push(`a.status = ANY(${param(query.statuses)}::text[])`)
  if (query.kinds && query.kinds.length > 0) where.push(`a.kind = ANY(${param(query.kinds)}::text[])`)
  if (query.customerIds && query.customerIds.length > 0) where.push(`a.customer_id = ANY(${param(query.customerIds)}::text[])`)
  // Owner and segment are the alert's own (kept current while it is live, frozen once resolved).
  // One owner as `=`, so that alerts_by_owner yields rows in list order (as in customerFilterSql).
  if (query.ownerIds && query.ownerIds.length === 1) where.push(`a.owner_id = ${param(query.ownerIds[0])}::text`)
  else if (query.ownerIds && query.ownerIds.length > 1) where.push(`a.owner_id = ANY(${param(query.ownerIds)}::text[])`)
  if (query.segments && query.segments.length > 0) where.push(`a.segment = ANY(${param(query.segments)}::text[])`)
  // Plan, band and renewal are the customer's current score: an alert of a customer without one does not match.
  const scoreWhere = customerFilterSql('s', { ...(query.plans ? { plans: query.plans } : {}), ...(query.renewalBetween ? { renewalBetween: query.renewalBetween } : {}) }, param)
  if (query.bands && query.bands.length > 0) scoreWhere.push(`s.band = ANY(${param(query.bands)}::text[])`)
  if (scoreWhere.length > 0) where.push(`EXISTS (SELECT 1 FROM risk_scores s WHERE s.customer_id = a.customer_id AND ${scoreWhere.join(' AND ')})`)
  if (query.since !== undefined) where.push(`a.created_at >= ${param(query.since)}::timestamptz`)
  if (query.snoozed && query.snoozed.filter !== 'include') {
    const snoozed = `(a.snoozed_until IS NOT NULL AND a.snoozed_until > ${param(query.snoozed.now)}::timestamptz AND a.status <> 'resolved')`
    where.push(query.snoozed.filter === 'only' ? snoozed : `NOT ${snoozed}`)
  }
  if (query.after) {
    const at = param(query.after.createdAt)
    const id = param(query.after.alertId)
    where.push(`a.created_at <= ${at}::timestamptz AND (a.created_at < ${at}::timestamptz OR a.alert_id > ${id})`)
  }
  const limit = param(query.limit + 1)
  const { rows } = await db.query<Parameters<typeof toAlertRow>[0] & { created_at_text: string }>(
    `SELECT ${prefixed('a', ALERT_COLUMNS)}, to_json(a.created_at) #>> '{}' AS created_at_text
     FROM alerts a ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY a.created_at DESC, a.alert_id
     LIMIT ${limit}`,
    params,
  )
  const alerts = rows.slice(0, query.limit).map(toAlertRow)
  const last = rows[query.limit - 1]
  return rows.length > query.limit && last ? { alerts, next: { createdAt: last.created_at_text, alertId: last.alert_id } } : { alerts }
}

function prefixed(alias: string, columns: string): string {
  return columns
    .split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ')
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

/** Snoozes a live alert until `until` (in the caller's transaction), remembering the customer's risk now. */
export async function snoozeAlert(
  tx: PoolClient,
  alertId: string,
  input: { at: Date; until: string; note: string | null },
): Promise<AlertTransition> {
  const alert = await lockAlert(tx, alertId)
  if (!alert) return { outcome: 'not_found' }
  if (alert.status === 'resolved') return { outcome: 'conflict', alert }
  // The baseline "further" is measured from: the current score when there is one, else the alert's own probability.
  const { rows } = await tx.query<Parameters<typeof toAlertRow>[0]>(
    `UPDATE alerts a SET snoozed_until = $3, snoozed_at = $4, updated_at = $4, snooze_note = $5,
       snooze_probability = coalesce(s.probability, a.probability), snooze_band = s.band
     FROM (SELECT 1) one LEFT JOIN risk_scores s ON s.customer_id = $1
     WHERE a.customer_id = $1 AND a.alert_id = $2 RETURNING ${prefixed('a', ALERT_COLUMNS)}`,
    [alert.customerId, alertId, input.until, input.at, input.note],
  )
  return rows[0] ? { outcome: 'changed', alert: toAlertRow(rows[0]) } : { outcome: 'not_found' }
}

const BAND_RANK = (column: string) => `CASE ${column} WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 END`

/**
 * Ends the snooze of the live alerts of `customerIds` whose customer's current score rose further
 * since the snooze: probability up by at least `epsilon`, or a higher band (ADR 0015). Run after
 * the scores are saved, in the scorer's transaction. Returns the woken alerts (updated_at = at).
 */
export async function wakeSnoozedAlerts(tx: PoolClient, customerIds: readonly string[], at: Date, epsilon: number): Promise<AlertRow[]> {
  if (customerIds.length === 0) return []
  const { rows } = await tx.query<Parameters<typeof toAlertRow>[0]>(
    `UPDATE alerts a SET snoozed_until = NULL, updated_at = $2
     FROM risk_scores s
     WHERE a.customer_id = ANY($1::text[]) AND s.customer_id = a.customer_id AND a.status <> 'resolved'
       AND a.snoozed_until > $2
       AND (s.probability >= a.snooze_probability + $3::float8
            OR (a.snooze_band IS NOT NULL AND ${BAND_RANK('s.band')} > ${BAND_RANK('a.snooze_band')}))
     RETURNING ${prefixed('a', ALERT_COLUMNS)}`,
    [customerIds, at, epsilon],
  )
  return rows.map(toAlertRow)
}

/**
 * Keeps the owner and segment of live alerts equal to their customer's current score row (a
 * reassigned account moves its open alerts to the new owner). No event: see ADR 0015.
 */
export async function syncLiveAlertAccounts(tx: PoolClient, customerIds: readonly string[]): Promise<number> {
  if (customerIds.length === 0) return 0
  const { rowCount } = await tx.query(
    `UPDATE alerts a SET owner_id = s.owner_id, segment = s.segment
     FROM risk_scores s
     WHERE a.customer_id = ANY($1::text[]) AND s.customer_id = a.customer_id AND a.status <> 'resolved'
       AND (a.owner_id IS DISTINCT FROM s.owner_id OR a.segment IS DISTINCT FROM s.segment)`,
    [customerIds],
  )
  return rowCount ?? 0
}
