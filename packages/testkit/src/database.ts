import pg from 'pg'
import { inject } from 'vitest'
import { uniqueName } from './names.js'

export interface TestDatabase {
  name: string
  url: string
  pool: pg.Pool
  /** Closes the pool and drops the database. */
  drop: () => Promise<void>
}

/** Creates an empty database of its own for one test file; migrate it with @churnwatch/storage. */
export async function createTestDatabase(prefix = 'cw_test'): Promise<TestDatabase> {
  const serverUrl = inject('databaseUrl')
  const name = uniqueName(prefix)
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE "${name}"`))
  const url = databaseUrlFor(serverUrl, name)
  const pool = new pg.Pool({ connectionString: url, max: 5 })
  // Dropping the database with FORCE terminates idle connections: not an error for a test.
  pool.on('error', () => undefined)
  return {
    name,
    url,
    pool,
    drop: async () => {
      await pool.end()
      await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    },
  }
}

function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
