import type { Driver, RiskBand, RiskChanges } from '@churnwatch/contract'
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
  /** What changed since the previous material score; stored by a material change only. */
  changes?: RiskChanges | null
  /** Account segment and owner as of asOf (account events); null when never sent. */
  segment?: string | null
  ownerId?: string | null
  /** The next renewal as of asOf (end of the period paid for); null when unknown. */
  renewalAt?: string | null
}

export interface StoredScore extends ScoreRow {
  changeSeq: number
  publishedProbability: number
  publishedBand: RiskBand
  /** What changed at the last material change (null when it predates migration 0013). */
  changes: RiskChanges | null
}

/** A current score with what the scorer compares the next one with: the last material score's drivers and asOf. */
export interface ScoreWithPublished extends StoredScore {
  publishedDrivers: Driver[] | null
  publishedAsOf: string | null
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
  segment: string | null
  owner_id: string | null
  renewal_at: Date | null
  changes: RiskChanges | null
}

export const SCORE_COLUMNS = `customer_id, probability, band, drivers, features, plan, mrr, revenue_at_risk, model_version,
  as_of, scored_at, change_seq, published_probability, published_band, segment, owner_id, renewal_at, changes`

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
    changes: r.changes ?? null,
    segment: r.segment,
    ownerId: r.owner_id,
    renewalAt: r.renewal_at?.toISOString() ?? null,
  }
}

/** Current scores of the given customers, with the last material score's drivers and asOf (for the scorer). */
export async function readCurrentScores(db: Queryable, customerIds: readonly string[]): Promise<Map<string, ScoreWithPublished>> {
  if (customerIds.length === 0) return new Map()
  const { rows } = await db.query<RawScore & { published_drivers: Driver[] | null; published_as_of: Date | null }>(
    `SELECT ${SCORE_COLUMNS}, published_drivers, published_as_of FROM risk_scores WHERE customer_id = ANY($1::text[])`,
    [customerIds],
  )
  return new Map(
    rows.map((r) => [
      r.customer_id,
      { ...toStoredScore(r), publishedDrivers: r.published_drivers, publishedAsOf: r.published_as_of?.toISOString() ?? null },
    ]),
  )
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
    `INSERT INTO risk_score_history (customer_id, scored_at, as_of, probability, band, drivers, model_version, changes)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::float8[], $5::text[], $6::jsonb[], $7::text[], $8::jsonb[])
     ON CONFLICT (customer_id, as_of, model_version) DO UPDATE SET
       scored_at = excluded.scored_at, probability = excluded.probability, band = excluded.band, drivers = excluded.drivers,
       changes = excluded.changes`,
    [
      material.map((r) => r.customerId),
      material.map((r) => r.scoredAt),
      material.map((r) => r.asOf),
      material.map((r) => r.probability),
      material.map((r) => r.band),
      material.map((r) => JSON.stringify(r.drivers)),
      material.map((r) => r.modelVersion),
      material.map((r) => (r.changes ? JSON.stringify(r.changes) : null)),
    ],
  )
}

async function upsertScores(tx: PoolClient, rows: readonly ScoreRow[], bumpChangeSeq: boolean): Promise<void> {
  if (rows.length === 0) return
  const col = <T>(f: (r: ScoreRow) => T) => rows.map(f)
  await tx.query(
    `INSERT INTO risk_scores AS s (customer_id, probability, band, drivers, features, plan, mrr, revenue_at_risk,
                                   model_version, as_of, scored_at, changes, segment, owner_id, renewal_at,
                                   published_probability, published_band, published_drivers, published_as_of, change_seq)
     SELECT *, p, b, d, a, nextval('risk_score_seq')
     FROM unnest($1::text[], $2::float8[], $3::text[], $4::jsonb[], $5::jsonb[], $6::text[], $7::bigint[], $8::bigint[],
                 $9::text[], $10::timestamptz[], $11::timestamptz[], $12::jsonb[], $13::text[], $14::text[], $15::timestamptz[])
       AS u(id, p, b, d, f, pl, m, r, v, a, sa, c, sg, o, rn)
     ON CONFLICT (customer_id) DO UPDATE SET
       probability = excluded.probability, band = excluded.band, drivers = excluded.drivers,
       features = excluded.features, plan = excluded.plan, mrr = excluded.mrr,
       revenue_at_risk = excluded.revenue_at_risk, model_version = excluded.model_version,
       as_of = excluded.as_of, scored_at = excluded.scored_at,
       segment = excluded.segment, owner_id = excluded.owner_id, renewal_at = excluded.renewal_at,
       ${
         bumpChangeSeq
           ? `change_seq = excluded.change_seq, published_probability = excluded.published_probability,
              published_band = excluded.published_band, published_drivers = excluded.published_drivers,
              published_as_of = excluded.published_as_of, changes = excluded.changes`
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
      col((r) => (r.changes ? JSON.stringify(r.changes) : null)),
      col((r) => r.segment ?? null),
      col((r) => r.ownerId ?? null),
      col((r) => r.renewalAt ?? null),
    ],
  )
}

/** Removes the current score of customers no longer active (their history stays). */
export async function deleteScores(tx: PoolClient, customerIds: readonly string[]): Promise<number> {
  if (customerIds.length === 0) return 0
  const { rowCount } = await tx.query('DELETE FROM risk_scores WHERE customer_id = ANY($1::text[])', [customerIds])
  return rowCount ?? 0
}

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
  /** Any of these values (exact match); see ADR 0015. */
  segments?: readonly string[]
  plans?: readonly string[]
  ownerIds?: readonly string[]
  /** Renewal known and due in [from, to] (the API passes now and now + renewalWithinDays). */
  renewalBetween?: { from: string; to: string }
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
  where.push(...customerFilterSql('s', query, param))
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

/** The customer filters shared by the ranked list and the alert list (ADR 0015). */
export interface CustomerFilters {
  segments?: readonly string[]
  plans?: readonly string[]
  ownerIds?: readonly string[]
  bands?: readonly RiskBand[]
  renewalBetween?: { from: string; to: string }
}

/** SQL conditions over a risk_scores row aliased `alias`; `param` binds a value. Bands are left to the caller. */
export function customerFilterSql(alias: string, filters: Omit<CustomerFilters, 'bands'>, param: (value: unknown) => string): string[] {
  const where: string[] = []
  // One value as `=`: an index on (value, rank) then yields rows already in rank order (PostgreSQL
  // before 17 cannot keep that order through `= ANY`), so a page reads ~limit rows, not the value's all.
  const oneOf = (column: string, values: readonly string[]) =>
    values.length === 1 ? `${alias}.${column} = ${param(values[0])}::text` : `${alias}.${column} = ANY(${param(values)}::text[])`
  if (filters.segments && filters.segments.length > 0) where.push(oneOf('segment', filters.segments))
  if (filters.plans && filters.plans.length > 0) where.push(oneOf('plan', filters.plans))
  if (filters.ownerIds && filters.ownerIds.length > 0) where.push(oneOf('owner_id', filters.ownerIds))
  if (filters.renewalBetween) {
    // A renewal already past (the score predates it) is not "within" the next days.
    where.push(
      `${alias}.renewal_at >= ${param(filters.renewalBetween.from)}::timestamptz AND ${alias}.renewal_at <= ${param(filters.renewalBetween.to)}::timestamptz`,
    )
  }
  return where
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

/** Current scores per band (bands with no customer are absent). */
export async function countScoresByBand(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ band: string; n: number }>('SELECT band, count(*)::int AS n FROM risk_scores GROUP BY band')
  return Object.fromEntries(rows.map((r) => [r.band, r.n]))
}
