import { createPool, type Pool } from '@churnwatch/storage'
import { uniqueName } from '@churnwatch/testkit'
import { inject } from 'vitest'

export interface ClonedDatabase {
  name: string
  url: string
  pool: Pool
  /** Closes the pool and drops the database. */
  drop: () => Promise<void>
}

/**
 * A copy of database `template` (no session may be connected to it): CREATE DATABASE … TEMPLATE
 * copies files, so two runs start from identical state without loading and training twice.
 */
export async function cloneDatabase(template: string, prefix: string): Promise<ClonedDatabase> {
  const name = uniqueName(prefix)
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`))
  const url = databaseUrl(name)
  const pool = createPool({ connectionString: url, max: 5, applicationName: 'churnwatch-chaos' })
  // A forced drop ends idle connections: not an error for a test.
  pool.on('error', () => undefined)
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end()
      await dropDatabase(name)
    },
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
}

function databaseUrl(database: string): string {
  const url = new URL(inject('databaseUrl'))
  url.pathname = `/${database}`
  return url.toString()
}

async function withAdmin<T>(work: (admin: Pool) => Promise<T>): Promise<T> {
  const admin = createPool({ connectionString: inject('databaseUrl'), max: 1, applicationName: 'churnwatch-chaos-admin' })
  try {
    return await work(admin)
  } finally {
    await admin.end()
  }
}
