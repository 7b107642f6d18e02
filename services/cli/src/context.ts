import { loadConfig } from '@churnwatch/config'
import { createKafka, type KafkaClient } from '@churnwatch/kafka'
import { createLogger, type Logger } from '@churnwatch/observability'
import { createPool, migrate, type Pool } from '@churnwatch/storage'
import { cliConfigSchema, type CliConfig } from './config.js'
import type { Output } from './output.js'

/** Lazily opened connections for one command run; `close` releases whatever was opened. */
export interface CliContext {
  output: Output
  config: () => CliConfig
  log: () => Logger
  pool: () => Pool
  /** The pool after applying migrations (commands that write or read state). */
  db: () => Promise<Pool>
  kafka: () => KafkaClient
  close: () => Promise<void>
}

export function createCliContext(env: Record<string, string | undefined>, output: Output): CliContext {
  let config: CliConfig | undefined
  let log: Logger | undefined
  let pool: Pool | undefined
  let migrated: Promise<Pool> | undefined
  let kafka: KafkaClient | undefined
  const getConfig = () => (config ??= loadConfig(cliConfigSchema, env))
  const getLog = () => (log ??= createLogger({ service: 'cli', level: getConfig().LOG_LEVEL, destination: process.stderr }))
  const getPool = () => (pool ??= createPool({ connectionString: getConfig().DATABASE_URL, max: 4, applicationName: 'churnwatch-cli' }))
  return {
    output,
    config: getConfig,
    log: getLog,
    pool: getPool,
    db: () => (migrated ??= migrate(getPool()).then(() => getPool())),
    kafka: () => (kafka ??= createKafka({ brokers: getConfig().KAFKA_BROKERS, clientId: 'churnwatch-cli', log: getLog() })),
    close: async () => {
      await pool?.end()
    },
  }
}
