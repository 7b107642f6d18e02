import { TOPICS } from '@churnwatch/contract'
import type { KafkaClient, Publisher } from '@churnwatch/kafka'
import type { Logger, Registry } from '@churnwatch/observability'
import type { OutboxRelay, Pool, ScoreChangeFeed } from '@churnwatch/storage'
import type { DestinationGuard } from '@churnwatch/webhooks'
import type { RiskDocumentCache } from './risk-cache.js'
import type { RiskDocumentReader } from './risk-documents.js'

/** Topic names the API reads or writes, with the deployment's prefix applied. */
export interface ApiTopics {
  usage: string
  billing: string
  accounts: string
  alerts: string
  deadLetter: string
}

/** The topic names for a prefix (empty in production, unique per test). */
export function apiTopics(prefix = ''): ApiTopics {
  return {
    usage: prefix + TOPICS.usage,
    billing: prefix + TOPICS.billing,
    accounts: prefix + TOPICS.accounts,
    alerts: prefix + TOPICS.alerts,
    deadLetter: prefix + TOPICS.deadLetter,
  }
}

/** Tunables with production defaults; main.ts fills them from the environment. */
export interface ApiOptions {
  rateLimitPerMinute: number
  bodyLimitBytes: number
  eventsBatchBodyLimitBytes: number
  featureBuilderGroupId: string
  readyMaxConsumerLag: number | undefined
  authCacheTtlMs: number
  publishTimeoutMs: number
  /** Proxy hops whose X-Forwarded-For is trusted for the client address (rate limiting, logs). */
  trustProxyHops: number
  /** How long scrape-time and readiness figures (lag, counts) are reused. */
  probeCacheMs: number
  /** Upper bound for each readiness probe. */
  probeTimeoutMs: number
  /** Characters (about bytes) of risk documents kept in memory; 0 = no cache. Needs `scoreChanges`. */
  riskCacheMaxBytes: number
  /** Accept webhook URLs on loopback and private networks (link-local and cloud metadata never). */
  allowPrivateWebhookNetworks: boolean
  /** Seals console session cookies (at least 32 characters); undefined: a random secret per process. */
  sessionSecret: string | undefined
  sessionTtlMs: number
  /** The built console served at /app/; undefined: no console. */
  consoleDir: string | undefined
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  rateLimitPerMinute: 6_000,
  bodyLimitBytes: 1_048_576,
  eventsBatchBodyLimitBytes: 8 * 1_048_576,
  featureBuilderGroupId: 'churnwatch-feature-builder',
  readyMaxConsumerLag: undefined,
  authCacheTtlMs: 30_000,
  publishTimeoutMs: 10_000,
  trustProxyHops: 0,
  probeCacheMs: 5_000,
  probeTimeoutMs: 3_000,
  riskCacheMaxBytes: 256 * 1_048_576,
  allowPrivateWebhookNetworks: false,
  sessionSecret: undefined,
  sessionTtlMs: 8 * 3_600_000,
  consoleDir: undefined,
}

/** What buildApp needs. The caller owns every connection and closes it after the app. */
export interface ApiDeps {
  pool: Pool
  /** Connected by the caller; used for event intake. */
  publisher: Publisher
  /** The process's one Kafka outbox relay (the caller's); alert status events leave through it. */
  outbox: OutboxRelay
  /** For readiness, consumer lag and dead-letter counts; those report "skipped" without it. */
  kafka?: KafkaClient
  log: Logger
  registry: Registry
  topics?: ApiTopics
  now?: () => Date
  options?: Partial<ApiOptions>
  /** risk_scores change notifications; with them, GET /v1/customers/{id}/risk serves from memory. */
  scoreChanges?: ScoreChangeFeed
}

/** What every route plugin receives. */
export interface ApiContext {
  pool: Pool
  publisher: Publisher
  outbox: OutboxRelay
  kafka: KafkaClient | undefined
  log: Logger
  registry: Registry
  topics: ApiTopics
  now: () => Date
  options: ApiOptions
  /** Risk documents by customer while the score-change feed listens; undefined without a feed. */
  riskCache: RiskDocumentCache | undefined
  /** Reads risk documents from PostgreSQL (the risk route's misses and the cache's refreshes). */
  riskDocuments: RiskDocumentReader
  /** Checks webhook URLs at registration; the dispatcher checks again at every connection. */
  webhookDestinations: DestinationGuard
}
