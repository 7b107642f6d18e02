import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { databaseUrl, kafkaBrokers, kafkaTopicPrefix, logLevel } from '@churnwatch/config'
import { z } from 'zod'

export const cliConfigSchema = z.object({
  DATABASE_URL: databaseUrl(),
  KAFKA_BROKERS: kafkaBrokers(),
  KAFKA_TOPIC_PREFIX: kafkaTopicPrefix(),
  FEATURE_BUILDER_GROUP_ID: z.string().min(1).default('churnwatch-feature-builder'),
  LOG_LEVEL: logLevel('warn'),
})

export type CliConfig = z.infer<typeof cliConfigSchema>

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
