#!/usr/bin/env node
import { ConfigError, loadConfig } from '@churnwatch/config'
import { migrate } from '../migrate.js'
import { createPool } from '../pool.js'
import { migrateConfigSchema, readMigrateEnv } from './config.js'

async function main(): Promise<number> {
  const config = loadConfig(migrateConfigSchema, readMigrateEnv())
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 1, applicationName: 'churnwatch-migrate' })
  try {
    const result = await migrate(pool)
    const applied = result.applied.length ? result.applied.join(', ') : 'none'
    process.stdout.write(`migrations: applied ${applied}; ${result.alreadyApplied} already applied\n`)
    return 0
  } finally {
    await pool.end()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
