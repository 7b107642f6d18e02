import { databaseUrl, envBoolean, kafkaBrokers, kafkaTopicPrefix, logLevel, tcpPort } from '@churnwatch/config'
import { z } from 'zod'

export const allInOneConfigSchema = z
  .object({
    DATABASE_URL: databaseUrl(),
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: kafkaTopicPrefix(),
    /** Consumer groups; by default derived from the prefix, so two all-in-ones with different prefixes never share a group. */
    FEATURE_BUILDER_GROUP_ID: z.string().min(1).optional(),
    SCORER_GROUP_ID: z.string().min(1).optional(),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: tcpPort(8080),
    /** The feature builder's and the scorer's /metrics, /healthz, /readyz (0 = any free port). */
    FEATURE_BUILDER_HTTP_PORT: tcpPort(9464),
    SCORER_HTTP_PORT: tcpPort(9465),
    /**
     * `data`: asOf follows the latest event time, so the history a demo replayed is scored as of its
     * end; `wall`: asOf = now, for live traffic.
     */
    SCORER_CLOCK: z.enum(['wall', 'data']).default('data'),
    SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
    /** On here, unlike the separate services: this is the local try-out, whose receivers are on this machine. */
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: envBoolean(true),
    LOG_LEVEL: logLevel(),
    /** Seals console session cookies; unset: a random secret per process (sessions end at restart). */
    SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional(),
  })
  .transform((c) => ({
    ...c,
    FEATURE_BUILDER_GROUP_ID: c.FEATURE_BUILDER_GROUP_ID ?? `${c.KAFKA_TOPIC_PREFIX}churnwatch-feature-builder`,
    SCORER_GROUP_ID: c.SCORER_GROUP_ID ?? `${c.KAFKA_TOPIC_PREFIX}churnwatch-scorer`,
  }))

export type AllInOneConfig = z.infer<typeof allInOneConfigSchema>

/** The only reader of process.env here. */
export function readEnv(): Record<string, string | undefined> {
  return process.env
}
