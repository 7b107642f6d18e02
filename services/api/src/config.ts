import { databaseUrl, envBoolean, kafkaBrokers, kafkaTopicPrefix, logLevel, tcpPort } from '@churnwatch/config'
import { z } from 'zod'

export const apiConfigSchema = z.object({
  DATABASE_URL: databaseUrl(),
  KAFKA_BROKERS: kafkaBrokers(),
  /** Prepended to every topic name, as in the other services. */
  KAFKA_TOPIC_PREFIX: kafkaTopicPrefix(),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: tcpPort(8080),
  LOG_LEVEL: logLevel(),
  /** Requests per minute per API key (per client IP for requests without a well-formed key). */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(6_000),
  /** Largest request body; the events batch route allows EVENTS_BATCH_BODY_LIMIT_BYTES. */
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  EVENTS_BATCH_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(8 * 1_048_576),
  /** The feature builder's consumer group, whose lag /readyz and /metrics report. */
  FEATURE_BUILDER_GROUP_ID: z.string().min(1).default('churnwatch-feature-builder'),
  /** /readyz fails when the feature builder lags more than this many messages; unset = report only. */
  READY_MAX_CONSUMER_LAG: z.coerce.number().int().nonnegative().optional(),
  /** A verified key is trusted for this long without a database lookup (so revocation takes up to this long). */
  AUTH_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(30_000),
  /** Event intake answers 503 when Kafka has not acknowledged within this time. */
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Trust X-Forwarded-For from this many proxy hops (0 = use the socket address). */
  TRUST_PROXY_HOPS: z.coerce.number().int().nonnegative().default(0),
  /** Accept webhook URLs on loopback and private networks (link-local and cloud metadata never). */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: envBoolean(false),
  PG_POOL_MAX: z.coerce.number().int().positive().default(10),
  /** Memory for risk documents served without a database read (about 2 KB each); 0 turns the cache off. */
  RISK_CACHE_MB: z.coerce.number().int().nonnegative().max(65_536).default(256),
  /** Seals console session cookies; unset: a random secret per process (sessions end at restart; a warning is logged). */
  SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters (for example: openssl rand -base64 32)').optional(),
  /** How long a console session lasts after sign-in (not extended by use). */
  SESSION_TTL_MINUTES: z.coerce.number().int().min(1).max(10_080).default(480),
  /** The built console (apps/console/dist) served at /app/; unset: that directory beside this service when it exists. */
  CONSOLE_DIR: z.string().min(1).optional(),
})

export type ApiConfig = z.infer<typeof apiConfigSchema>

/** The only reader of process.env in this service. */
export function readEnv(): Record<string, string | undefined> {
  return process.env
}
