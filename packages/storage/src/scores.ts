import type { Driver, RiskBand } from '@churnwatch/contract'
import type { PoolClient, Queryable } from './pool.js'

/** A customer's score as stored. Money in integer minor units. */
export interface ScoreRow {
  customerId: string
  probability: number
  band: RiskBand
  drivers: Driver[]
  /** Key feature values at scoring time, for the API. */
  features: Record<string, number>
  plan: string | null
  mrr: number
  revenueAtRisk: number
  modelVersion: string
  asOf: string
  scoredAt: string
}

export interface StoredScore extends ScoreRow {
  changeSeq: number
  publishedProbability: number
  publishedBand: RiskBand
}

interface RawScore {
  customer_id: string
  probability: number
  band: RiskBand
  drivers: Driver[]
  features: Record<string, number>
  plan: string | null
  mrr: number
  revenue_at_risk: number
  model_version: string
  as_of: Date
  scored_at: Date
  change_seq: number
  published_probability: number
  published_band: RiskBand
}

export const SCORE_COLUMNS = `customer_id, probability, band, drivers, features, plan, mrr, revenue_at_risk, model_version,
  as_of, scored_at, change_seq, published_probability, published_band`

/** Maps a risk_scores row to its API shape. */
export function toStoredScore(r: RawScore): StoredScore {
  return {
    customerId: r.customer_id,
    probability: r.probability,
    band: r.band,
    drivers: r.drivers,
    features: r.features,
    plan: r.plan,
    mrr: r.mrr,
    revenueAtRisk: r.revenue_at_risk,
    modelVersion: r.model_version,
    asOf: r.as_of.toISOString(),
    scoredAt: r.scored_at.toISOString(),
    changeSeq: r.change_seq,
    publishedProbability: r.published_probability,
    publishedBand: r.published_band,
  }
}

/** Current scores of the given customers. */
export async function readCurrentScores(db: Queryable, customerIds: readonly string[]): Promise<Map<string, StoredScore>> {
  if (customerIds.length === 0) return new Map()
  const { rows } = await db.query<RawScore>(`SELECT ${SCORE_COLUMNS} FROM risk_scores WHERE customer_id = ANY($1::text[])`, [
    customerIds,
  ])
  return new Map(rows.map((r) => [r.customer_id, toStoredScore(r)]))
}

/**
 * Writes current scores in one statement. Rows flagged `material` get a new change_seq and a
 * history row; the others only refresh the stored values (a sweep rescoring an unchanged
 * customer does not grow the history).
 */
export async function saveScores(tx: PoolClient, rows: ReadonlyArray<ScoreRow & { material: boolean }>): Promise<void> {
  await upsertScores(tx, rows.filter((r) => r.material), true)
  await upsertScores(tx, rows.filter((r) => !r.material), false)
  const material = rows.filter((r) => r.material)
  if (material.length === 0) return
  await tx.query(
    `INSERT INTO risk_score_history (customer_id, scored_at, as_of, probability, band, drivers, model_version)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::float8[], $5::text[], $6::jsonb[], $7::text[])
     ON CONFLICT (customer_id, as_of, model_version) DO UPDATE SET
       scored_at = excluded.scored_at, probability = excluded.probability, band = excluded.band, drivers = excluded.drivers`,
    [
      material.map((r) => r.customerId),
      material.map((r) => r.scoredAt),
      material.map((r) => r.asOf),
      material.map((r) => r.probability),
      material.map((r) => r.band),
      material.map((r) => JSON.stringify(r.drivers)),
      material.map((r) => r.modelVersion),
    ],
  )
}

async function upsertScores(tx: PoolClient, rows: readonly ScoreRow[], bumpChangeSeq: boolean): Promise<void> {
  if (rows.length === 0) return
  const col = <T>(f: (r: ScoreRow) => T) => rows.map(f)
  await tx.query(
    `INSERT INTO risk_scores AS s (customer_id, probability, band, drivers, features, plan, mrr, revenue_at_risk,
                                   model_version, as_of, scored_at, published_probability, published_band, change_seq)
     SELECT *, p, b, nextval('risk_score_seq')
     FROM unnest($1::text[], $2::float8[], $3::text[], $4::jsonb[], $5::jsonb[], $6::text[], $7::bigint[], $8::bigint[],
                 $9::text[], $10::timestamptz[], $11::timestamptz[])
       AS u(id, p, b, d, f, pl, m, r, v, a, sa)
     ON CONFLICT (customer_id) DO UPDATE SET
       probability = excluded.probability, band = excluded.band, drivers = excluded.drivers,
       features = excluded.features, plan = excluded.plan, mrr = excluded.mrr,
       revenue_at_risk = excluded.revenue_at_risk, model_version = excluded.model_version,
       as_of = excluded.as_of, scored_at = excluded.scored_at,
       ${
         bumpChangeSeq
           ? `change_seq = excluded.change_seq, published_probability = excluded.published_probability,
              published_band = excluded.published_band`
           : 'change_seq = s.change_seq'
       }`,
    [
      col((r) => r.customerId),
      col((r) => r.probability),
      col((r) => r.band),
      col((r) => JSON.stringify(r.drivers)),
      col((r) => JSON.stringify(r.features)),
      col((r) => r.plan),
      col((r) => r.mrr),
      col((r) => r.revenueAtRisk),
      col((r) => r.modelVersion),
      col((r) => r.asOf),
      col((r) => r.scoredAt),
    ],
  )
}

/** Removes the current score of customers no longer active (their history stays). */
export async function deleteScores(tx: PoolClient, customerIds: readonly string[]): Promise<number> {
  if (customerIds.length === 0) return 0
  const { rowCount } = await tx.query('DELETE FROM risk_scores WHERE customer_id = ANY($1::text[])', [customerIds])
  return rowCount ?? 0
}

/**
 * Serialises work on the given customers across transactions and instances (stream scoring vs
 * sweep): transaction-scoped advisory locks taken in a fixed order, so two batches cannot deadlock.
 */
export async function lockCustomers(tx: PoolClient, customerIds: readonly string[]): Promise<void> {
  if (customerIds.length === 0) return
  await tx.query(
    `SELECT pg_advisory_xact_lock(hashtextextended(id, 7354)) FROM (SELECT DISTINCT unnest($1::text[]) AS id ORDER BY 1) ids`,
    [customerIds],
  )
}
