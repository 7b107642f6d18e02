import { ChurnwatchError } from '@churnwatch/contract'
import type { Pool, Queryable } from './pool.js'
import { withTransaction } from './pool.js'

/** A registered model version without its artifact bytes. */
export interface ModelRecord {
  version: string
  kind: string
  createdAt: Date
  trainedAsOf: Date
  featureNames: string[]
  /** Training window, observation plan, sizes and hyperparameters. */
  training: Record<string, unknown>
  /** Holdout evaluation: AUCs, Brier, log loss, lift, calibration table. */
  metrics: Record<string, unknown>
  active: boolean
  activatedAt: Date | null
}

export interface NewModel {
  version: string
  kind: string
  trainedAsOf: string | Date
  featureNames: readonly string[]
  training: Record<string, unknown>
  metrics: Record<string, unknown>
  artifact: Uint8Array
}

const COLUMNS = `version, kind, created_at, trained_as_of, feature_names, training, metrics, active, activated_at`

interface ModelRow {
  version: string
  kind: string
  created_at: Date
  trained_as_of: Date
  feature_names: string[]
  training: Record<string, unknown>
  metrics: Record<string, unknown>
  active: boolean
  activated_at: Date | null
}

function toRecord(r: ModelRow): ModelRecord {
  return {
    version: r.version,
    kind: r.kind,
    createdAt: r.created_at,
    trainedAsOf: r.trained_as_of,
    featureNames: r.feature_names,
    training: r.training,
    metrics: r.metrics,
    active: r.active,
    activatedAt: r.activated_at,
  }
}

/**
 * Stores a new model version (inactive). A version names its artifact (training derives it from the
 * artifact's hash), so storing the same version with the same bytes again, as retraining on the same
 * data does, keeps the stored record and returns `created: false`; the same version with other bytes
 * is refused with CW_STORAGE_MODEL_VERSION_CONFLICT.
 */
export async function insertModel(db: Queryable, model: NewModel): Promise<{ created: boolean }> {
  const artifact = Buffer.from(model.artifact)
  const inserted = await db.query(
    `INSERT INTO models (version, kind, trained_as_of, feature_names, training, metrics, artifact)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (version) DO NOTHING`,
    [model.version, model.kind, model.trainedAsOf, model.featureNames, model.training, model.metrics, artifact],
  )
  if (inserted.rowCount === 1) return { created: true }
  const { rows } = await db.query<{ same: boolean }>('SELECT artifact = $2 AS same FROM models WHERE version = $1', [model.version, artifact])
  if (rows[0]?.same === true) return { created: false }
  throw new ChurnwatchError(
    'CW_STORAGE_MODEL_VERSION_CONFLICT',
    `model version "${model.version}" is already registered with a different artifact; nothing was stored`,
  )
}

/** Makes `version` the only active model; false when no such version exists. */
export async function activateModel(pool: Pool, version: string): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const { rowCount } = await tx.query('SELECT 1 FROM models WHERE version = $1 FOR UPDATE', [version])
    if (!rowCount) return false
    await tx.query('UPDATE models SET active = false WHERE active AND version <> $1', [version])
    await tx.query('UPDATE models SET active = true, activated_at = now() WHERE version = $1 AND NOT active', [version])
    return true
  })
}

/** All versions, newest first. */
export async function listModels(db: Queryable): Promise<ModelRecord[]> {
  const { rows } = await db.query<ModelRow>(`SELECT ${COLUMNS} FROM models ORDER BY created_at DESC, version DESC`)
  return rows.map(toRecord)
}

/** One version's record, or undefined. */
export async function getModel(db: Queryable, version: string): Promise<ModelRecord | undefined> {
  const { rows } = await db.query<ModelRow>(`SELECT ${COLUMNS} FROM models WHERE version = $1`, [version])
  return rows[0] ? toRecord(rows[0]) : undefined
}

/** The active model with its artifact, or undefined when none is active. */
export async function getActiveModel(db: Queryable): Promise<(ModelRecord & { artifact: Uint8Array }) | undefined> {
  const { rows } = await db.query<ModelRow & { artifact: Buffer }>(`SELECT ${COLUMNS}, artifact FROM models WHERE active`)
  const row = rows[0]
  return row ? { ...toRecord(row), artifact: new Uint8Array(row.artifact) } : undefined
}
