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
    /** A play book replacing the shipped plays.default.json (ADR 0016); validated at start-up. */
    PLAYS_FILE: z.string().min(1).optional(),
    /** renewal_at_risk: medium or high risk and renewing within this many days... */
    RENEWAL_ALERT_DAYS: z.coerce.number().int().min(1).max(366).default(90),
    /** ...on a billing period of at least this many months (monthly plans renew all the time). */
    RENEWAL_ALERT_MIN_PERIOD_MONTHS: z.coerce.number().min(0).max(120).default(6),
    /** The churn rate's own alarm (one-sided binomial test, ADR 0016). */
    CHURN_SPIKE_ENABLED: envBoolean(true),
    CHURN_SPIKE_LEVEL: z.coerce.number().gt(0).lt(0.5).default(0.01),
    CHURN_SPIKE_MIN_CHURNED: z.coerce.number().int().min(1).default(3),
    CHURN_SPIKE_MIN_SEGMENT_CUSTOMERS: z.coerce.number().int().min(1).default(100),
    CHURN_SPIKE_BASELINE_PERIODS: z.coerce.number().int().min(1).max(24).default(6),
    /** At most one test per this interval, after a sweep (each reads every lifecycle billing event). */
    CHURN_SPIKE_CHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
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
