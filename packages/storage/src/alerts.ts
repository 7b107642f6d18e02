import { createHash } from 'node:crypto'
import type { AlertEvent, AlertKind, AlertStatus, Driver } from '@churnwatch/contract'
import type { PoolClient, Queryable } from './pool.js'

/** An alert as stored; `play` is the suggested customer-success action. */
export interface AlertRow {
  alertId: string
  customerId: string
  kind: AlertKind
  status: AlertStatus
  probability: number
  revenueAtRisk: number
  drivers: Driver[]
  play: string
  createdAt: string
  updatedAt: string
  acknowledgedAt: string | null
  resolvedAt: string | null
  resolution: string | null
}

/** The alerts-topic and webhook event of one alert change; its eventId is stable for (alert, change, status, updatedAt). */
export function alertChangeEvent(
  alert: Pick<AlertRow, 'alertId' | 'customerId' | 'kind' | 'status' | 'probability' | 'revenueAtRisk' | 'drivers' | 'play' | 'createdAt' | 'updatedAt'>,
  change: string,
): AlertEvent & { change: string; play: string } {
  return {
    eventId: `ae_${createHash('sha256').update(`${alert.alertId}\u0000${change}\u0000${alert.status}\u0000${alert.updatedAt}`).digest('hex').slice(0, 32)}`,
    alertId: alert.alertId,
    customerId: alert.customerId,
    kind: alert.kind,
    status: alert.status,
    probability: alert.probability,
    revenueAtRisk: alert.revenueAtRisk,
    drivers: alert.drivers,
    createdAt: alert.createdAt,
    updatedAt: alert.updatedAt,
    change,
    play: alert.play,
  }
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
}

export const ALERT_COLUMNS = `alert_id, customer_id, kind, status, probability, revenue_at_risk, drivers, play, created_at,
  updated_at, acknowledged_at, resolved_at, resolution`

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

/** Inserts new alerts and applies updates to existing ones (same alertId), in one transaction. */
export async function writeAlerts(tx: PoolClient, alerts: readonly AlertRow[]): Promise<void> {
  if (alerts.length === 0) return
  const col = <T>(f: (a: AlertRow) => T) => alerts.map(f)
  await tx.query(
    `INSERT INTO alerts AS a (alert_id, customer_id, kind, status, probability, revenue_at_risk, drivers, play,
                              created_at, updated_at, acknowledged_at, resolved_at, resolution)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::bigint[], $7::jsonb[],
                          $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[])
     ON CONFLICT (customer_id, alert_id) DO UPDATE SET
       status = excluded.status, probability = excluded.probability, revenue_at_risk = excluded.revenue_at_risk,
       drivers = excluded.drivers, play = excluded.play, updated_at = excluded.updated_at,
       acknowledged_at = excluded.acknowledged_at, resolved_at = excluded.resolved_at, resolution = excluded.resolution`,
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
    ],
  )
}

/** One alert by id, or undefined. */
export async function getAlert(db: Queryable, alertId: string): Promise<AlertRow | undefined> {
  const { rows } = await db.query<RawAlert>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE alert_id = $1`, [alertId])
  return rows[0] ? toAlertRow(rows[0]) : undefined
}
