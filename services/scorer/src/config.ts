import { envBoolean } from '@churnwatch/config'
import { z } from 'zod'

const probability = z.coerce.number().min(0).max(1)

export const scorerConfigSchema = z
  .object({
    DATABASE_URL: z.url(),
    KAFKA_BROKERS: z
      .string()
      .min(1)
      .transform((s) => s.split(',').map((b) => b.trim())),
    KAFKA_GROUP_ID: z.string().min(1).default('churnwatch-scorer'),
    KAFKA_TOPIC_PREFIX: z.string().default(''),
    KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
    /** How often every active customer is rescored, because silence produces no events. */
    SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
    /** `wall`: asOf is now. `data`: asOf follows the latest event time seen (replays, demos). */
    SCORER_CLOCK: z.enum(['wall', 'data']).default('wall'),
    /** A probability move that is published even without a band change. */
    MATERIAL_DELTA: probability.default(0.05),
    /** Band thresholds; unset = the active model's holdout-derived thresholds. */
    BAND_HIGH: probability.optional(),
    BAND_MEDIUM: probability.optional(),
    BAND_REARM: probability.optional(),
    MODEL_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(10_000),
    /** Deliver webhooks from this process (the outbox is written either way). */
    WEBHOOKS_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /** How often the webhook dispatcher looks for due messages; bounds alert-to-webhook latency. */
    WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(200),
    /**
     * How long a claimed webhook stays with this process; a crashed process's claims wait this long
     * before another delivers them. Must exceed the 10 s delivery timeout.
     */
    WEBHOOK_LEASE_MS: z.coerce.number().int().min(10_001).default(60_000),
    /** Deliver webhooks to loopback and private networks (link-local and cloud metadata never). */
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: envBoolean(false),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((c) => c.BAND_MEDIUM === undefined || c.BAND_HIGH === undefined || c.BAND_MEDIUM <= c.BAND_HIGH, {
    message: 'must not exceed BAND_HIGH',
    path: ['BAND_MEDIUM'],
  })
  .refine((c) => c.BAND_REARM === undefined || c.BAND_HIGH === undefined || c.BAND_REARM <= c.BAND_HIGH, {
    message: 'must not exceed BAND_HIGH (hysteresis re-arms below the high threshold)',
    path: ['BAND_REARM'],
  })

export type ScorerConfig = z.infer<typeof scorerConfigSchema>

/** The only reader of process.env in this service. */
export function readEnv(): Record<string, string | undefined> {
  return process.env
}
