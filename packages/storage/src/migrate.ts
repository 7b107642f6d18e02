import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Pool } from './pool.js'
import { withTransaction } from './pool.js'
import { ADVISORY_LOCKS } from './locks.js'

export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

export interface MigrateResult {
  applied: string[]
  alreadyApplied: number
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url))
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/

/** Reads the versioned SQL files shipped with this package, in version order. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  const migrations: Migration[] = []
  for (const file of files) {
    const match = FILE_PATTERN.exec(file)
    if (!match?.[1] || !match[2]) throw new Error(`migration file name must look like 0001_name.sql: ${file}`)
    const sql = await readFile(`${dir}/${file}`, 'utf8')
    const checksum = createHash('sha256').update(sql).digest('hex')
    migrations.push({ version: Number(match[1]), name: match[2], sql, checksum })
  }
  return migrations
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, each once, in order,
 * all in one transaction under an advisory lock. Fails if an applied migration's file was edited afterwards.
 */
export async function migrate(pool: Pool, migrations?: Migration[]): Promise<MigrateResult> {
  const all = migrations ?? (await loadMigrations())
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.migrations])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`)
    const { rows } = await client.query<{ version: number; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations',
    )
    const done = new Map(rows.map((r) => [r.version, r.checksum]))
    const applied: string[] = []
    for (const m of all) {
      const checksum = done.get(m.version)
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new Error(`migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`)
        }
        continue
      }
      await client.query(m.sql)
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ])
      applied.push(`${String(m.version).padStart(4, '0')}_${m.name}`)
    }
    return { applied, alreadyApplied: done.size }
  })
}
