import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { databaseUrl, kafkaBrokers, kafkaTopicPrefix, logLevel } from '@churnwatch/config'
import { z } from 'zod'

// Each command validates only what it uses: backfill, train, score, keys and models need PostgreSQL
// alone; produce needs Kafka too (and PostgreSQL only with --wait). Logging needs neither.
export const cliLogConfigSchema = z.object({
  LOG_LEVEL: logLevel('warn'),
})

export const cliDatabaseConfigSchema = z.object({
  DATABASE_URL: databaseUrl(),
})

export const cliKafkaConfigSchema = z.object({
  KAFKA_BROKERS: kafkaBrokers(),
  KAFKA_TOPIC_PREFIX: kafkaTopicPrefix(),
  FEATURE_BUILDER_GROUP_ID: z.string().min(1).default('churnwatch-feature-builder'),
})

export type CliLogConfig = z.infer<typeof cliLogConfigSchema>
export type CliDatabaseConfig = z.infer<typeof cliDatabaseConfigSchema>
export type CliKafkaConfig = z.infer<typeof cliKafkaConfigSchema>

/**
 * The only reader of process.env in the CLI. Endpoints written by `npm run infra:up`
 * (.infra/env.json above the working directory) fill in what the environment leaves unset.
 */
export function readEnv(cwd: string = process.cwd()): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env }
  const saved = findInfraEnv(cwd)
  if (saved) {
    env.DATABASE_URL ??= saved.DATABASE_URL
    env.KAFKA_BROKERS ??= saved.KAFKA_BROKERS
  }
  return env
}

function findInfraEnv(from: string): { DATABASE_URL?: string; KAFKA_BROKERS?: string } | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, '.infra', 'env.json')
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { DATABASE_URL?: string; KAFKA_BROKERS?: string }
    if (dirname(dir) === dir) return undefined
  }
}
