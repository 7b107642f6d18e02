import { loadConfig } from '@churnwatch/config'
import { createKafka, type KafkaClient } from '@churnwatch/kafka'
import { createLogger, type Logger } from '@churnwatch/observability'
import { createPool, migrate, type Pool } from '@churnwatch/storage'
import {
  cliDatabaseConfigSchema,
  cliKafkaConfigSchema,
  cliLogConfigSchema,
  type CliDatabaseConfig,
  type CliKafkaConfig,
  type CliLogConfig,
} from './config.js'
import type { Output } from './output.js'

/**
 * Lazily validated config and lazily opened connections for one command run, so a command checks
 * only the variables it uses; `close` releases whatever was opened.
 */
export interface CliContext {
  output: Output
  kafkaConfig: () => CliKafkaConfig
  log: () => Logger
  pool: () => Pool
  /** The pool after applying migrations (commands that write or read state). */
  db: () => Promise<Pool>
  kafka: () => KafkaClient
  close: () => Promise<void>
}

export function createCliContext(env: Record<string, string | undefined>, output: Output): CliContext {
  let logConfig: CliLogConfig | undefined
  let databaseConfig: CliDatabaseConfig | undefined
  let kafkaConfig: CliKafkaConfig | undefined
  let log: Logger | undefined
  let pool: Pool | undefined
  let migrated: Promise<Pool> | undefined
  let kafka: KafkaClient | undefined
  const getKafkaConfig = () => (kafkaConfig ??= loadConfig(cliKafkaConfigSchema, env))
  const getLog = () =>
    (log ??= createLogger({ service: 'cli', level: (logConfig ??= loadConfig(cliLogConfigSchema, env)).LOG_LEVEL, destination: process.stderr }))
  const getPool = () =>
    (pool ??= createPool({
      connectionString: (databaseConfig ??= loadConfig(cliDatabaseConfigSchema, env)).DATABASE_URL,
      max: 4,
      applicationName: 'churnwatch-cli',
    }))
  return {
    output,
    kafkaConfig: getKafkaConfig,
    log: getLog,
    pool: getPool,
    db: () => (migrated ??= migrate(getPool()).then(() => getPool())),
    kafka: () => (kafka ??= createKafka({ brokers: getKafkaConfig().KAFKA_BROKERS, clientId: 'churnwatch-cli', log: getLog() })),
    close: async () => {
      await pool?.end()
    },
  }
}
