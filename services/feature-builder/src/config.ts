import { databaseUrl, kafkaBrokers, kafkaSessionTimeoutMs, kafkaTopicPrefix, logLevel, tcpPort } from '@churnwatch/config'
import { z } from 'zod'

export const featureBuilderConfigSchema = z.object({
  DATABASE_URL: databaseUrl(),
  KAFKA_BROKERS: kafkaBrokers(),
  KAFKA_GROUP_ID: z.string().min(1).default('churnwatch-feature-builder'),
  /** Prepended to every topic name: lets tests and tenants share a broker. */
  KAFKA_TOPIC_PREFIX: kafkaTopicPrefix(),
  /** Partition batches folded at once; each holds one PostgreSQL connection while it commits. */
  PARTITIONS_CONSUMED_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(2),
  /** Bytes fetched per partition and request: the most one batch, so one transaction, holds. */
  KAFKA_FETCH_MAX_BYTES_PER_PARTITION: z.coerce.number().int().min(65_536).default(2_097_152),
  /** Bytes fetched per request across partitions: bounds the consumer's memory. */
  KAFKA_FETCH_MAX_BYTES: z.coerce.number().int().min(65_536).default(12_582_912),
  /** A killed instance's partitions move to the others after this long (broker minimum 6 s). */
  KAFKA_SESSION_TIMEOUT_MS: kafkaSessionTimeoutMs(),
  HTTP_PORT: tcpPort(9464),
  LOG_LEVEL: logLevel(),
})

export type FeatureBuilderConfig = z.infer<typeof featureBuilderConfigSchema>

/** The only reader of process.env in this service. */
export function readEnv(): Record<string, string | undefined> {
  return process.env
}
