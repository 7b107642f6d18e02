import { z } from 'zod'

// Variables every service reads the same way. Each service's schema picks the ones it needs, so a
// fix to how e.g. KAFKA_BROKERS is parsed lands everywhere at once.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** A PostgreSQL connection URL. */
export const databaseUrl = () => z.url()

/** Comma-separated `host:port` list, trimmed. */
export const kafkaBrokers = () =>
  z
    .string()
    .min(1)
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b.length > 0),
    )
    .refine((brokers) => brokers.length > 0, 'needs at least one host:port')

/** Prepended to every topic name: lets tests and tenants share a broker. */
export const kafkaTopicPrefix = () => z.string().default('')

/** A killed instance's partitions move to the others after this long (broker minimum 6 s). */
export const kafkaSessionTimeoutMs = () => z.coerce.number().int().min(6_000).max(300_000).default(30_000)

/** A TCP port; 0 picks a free one. */
export const tcpPort = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback)

/** A pino level. */
export const logLevel = (fallback: (typeof LOG_LEVELS)[number] = 'info') => z.enum(LOG_LEVELS).default(fallback)

/** `true` or `false` (exactly; a typo fails loudly instead of meaning false). */
export const envBoolean = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true')
