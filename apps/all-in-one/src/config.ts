import { databaseUrl, envBoolean, kafkaBrokers, kafkaTopicPrefix, logLevel, tcpPort } from '@churnwatch/config'
import { z } from 'zod'

export const allInOneConfigSchema = z.object({
  DATABASE_URL: databaseUrl(),
  KAFKA_BROKERS: kafkaBrokers(),
  KAFKA_TOPIC_PREFIX: kafkaTopicPrefix(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: tcpPort(8080),
  /** `data` when replaying history (the demo), `wall` for live traffic. */
  SCORER_CLOCK: z.enum(['wall', 'data']).default('wall'),
  SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  /** On here, unlike the separate services: this is the local try-out, whose receivers are on this machine. */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: envBoolean(true),
  LOG_LEVEL: logLevel(),
})

export type AllInOneConfig = z.infer<typeof allInOneConfigSchema>

/** The only reader of process.env here. */
export function readEnv(): Record<string, string | undefined> {
  return process.env
}
