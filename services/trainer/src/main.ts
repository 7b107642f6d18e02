import { ConfigError, loadConfig } from '@churnwatch/config'
import { createLogger } from '@churnwatch/observability'
import { createPool, migrate } from '@churnwatch/storage'
import { readEnv, trainerConfigSchema } from './config.js'
import { createTrainer } from './trainer.js'

async function main(): Promise<void> {
  const config = loadConfig(trainerConfigSchema, readEnv())
  const log = createLogger({ service: 'trainer', level: config.LOG_LEVEL })
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 4, applicationName: 'churnwatch-trainer' })
  try {
    await migrate(pool)
    await createTrainer({ pool, log }).run({
      asOf: config.TRAIN_AS_OF ?? new Date().toISOString(),
      kind: config.TRAIN_MODEL,
      activate: config.TRAIN_ACTIVATE,
      intervalDays: config.TRAIN_INTERVAL_DAYS,
      holdoutDates: config.TRAIN_HOLDOUT_DATES,
      seed: config.TRAIN_SEED,
    })
  } finally {
    await pool.end()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
