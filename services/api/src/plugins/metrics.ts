import { RISK_BANDS } from '@churnwatch/contract'
import { countTopicMessages } from '@churnwatch/kafka'
import { Counter, Gauge, Histogram } from '@churnwatch/observability'
import { countScoresByBand, webhookHealth } from '@churnwatch/storage'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { ApiContext } from '../context.js'
import { cached, consumerLag, withTimeout, type PartitionLag } from '../probes.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Counters the routes update. */
    apiMetrics: {
      events: Counter<'kind' | 'result'>
      /** GET /v1/customers/{id}/risk answers by source: hit (memory), miss (database, then cached), off (no cache or feed lost). */
      riskCache: Record<'hit' | 'miss' | 'off', { inc: () => void }>
    }
    /** The feature builder's lag, shared with /readyz (cached). */
    readConsumerLag: (() => Promise<PartitionLag[]>) | undefined
  }
}

const WEBHOOK_STATUSES = ['pending', 'failed', 'delivered', 'dead'] as const

/**
 * Prometheus metrics on `/metrics` (public; restrict it by network in production): request
 * latency per route, intake events, and figures read at scrape time from Kafka and PostgreSQL
 * (consumer lag, dead letters, webhook health, scores by band), each cached for probeCacheMs.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, ctx: ApiContext) => {
    const registers = [ctx.registry]
    const log = ctx.log.child({ component: 'api-metrics' })
    const ttl = ctx.options.probeCacheMs
    const timeout = ctx.options.probeTimeoutMs
    const kafka = ctx.kafka
    const lagTopics = [ctx.topics.usage, ctx.topics.billing, ctx.topics.accounts]
    const readLag = kafka
      ? cached(() => withTimeout(consumerLag(kafka, ctx.pool, ctx.options.featureBuilderGroupId, lagTopics), timeout, 'consumer lag'), ttl)
      : undefined
    const readDeadLetters = kafka ? cached(() => withTimeout(countTopicMessages(kafka, ctx.topics.deadLetter), timeout, 'dead-letter topic'), ttl) : undefined
    const readScores = cached(() => countScoresByBand(ctx.pool), ttl)
    const readWebhooks = cached(() => webhookHealth(ctx.pool), ttl)
    // A figure that cannot be read keeps its last value; the scrape itself still succeeds.
    const attempt = async (what: string, work: () => Promise<void>) => {
      try {
        await work()
      } catch (err) {
        log.warn({ err, metric: what }, 'metric not refreshed')
      }
    }

    const duration = new Histogram({
      name: 'churnwatch_api_request_duration_seconds',
      help: 'HTTP request latency by route, method and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    const events = new Counter({
      name: 'churnwatch_api_events_total',
      help: 'Events received by HTTP intake, by kind and result (accepted, rejected); rate() gives events/s',
      labelNames: ['kind', 'result'] as const,
      registers,
    })
    new Gauge({
      name: 'churnwatch_api_consumer_lag_messages',
      help: 'Feature-builder messages written to Kafka but not yet folded into PostgreSQL, by topic',
      labelNames: ['group', 'topic'] as const,
      registers,
      async collect() {
        if (!readLag) return
        await attempt('consumer_lag', async () => {
          const byTopic = new Map<string, number>(lagTopics.map((t) => [t, 0]))
          for (const p of await readLag()) byTopic.set(p.topic, (byTopic.get(p.topic) ?? 0) + p.lag)
          for (const [topic, lag] of byTopic) this.set({ group: ctx.options.featureBuilderGroupId, topic }, lag)
        })
      },
    })
    new Gauge({
      name: 'churnwatch_api_dead_letter_messages',
      help: 'Messages on the dead-letter topic (every input that could not be processed)',
      registers,
      async collect() {
        if (!readDeadLetters) return
        await attempt('dead_letters', async () => this.set(await readDeadLetters()))
      },
    })
    new Gauge({
      name: 'churnwatch_api_webhook_messages',
      help: 'Webhook outbox messages by status (failed = retry scheduled, dead = given up)',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        await attempt('webhook_messages', async () => {
          const health = await readWebhooks()
          for (const status of WEBHOOK_STATUSES) this.set({ status }, health.messagesByStatus[status] ?? 0)
        })
      },
    })
    new Gauge({
      name: 'churnwatch_api_webhook_endpoints',
      help: 'Webhook endpoints currently failing (enabled) or disabled after failing too long',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        await attempt('webhook_endpoints', async () => {
          const health = await readWebhooks()
          this.set({ state: 'failing' }, health.failingEndpoints)
          this.set({ state: 'disabled' }, health.disabledEndpoints)
        })
      },
    })
    new Gauge({
      name: 'churnwatch_api_scores',
      help: 'Customers with a current score, by risk band',
      labelNames: ['band'] as const,
      registers,
      async collect() {
        await attempt('scores', async () => {
          const counts = await readScores()
          for (const band of RISK_BANDS) this.set({ band }, counts[band] ?? 0)
        })
      },
    })

    const riskCacheLookups = new Counter({
      name: 'churnwatch_api_risk_cache_lookups_total',
      help: 'Single-customer risk reads by result: hit (served from memory), miss (read from PostgreSQL), off (cache disabled or score-change feed lost)',
      labelNames: ['result'] as const,
      registers,
    })
    new Gauge({
      name: 'churnwatch_api_risk_cache_enabled',
      help: '1 while the risk-document cache serves reads (the score-change feed listens), else 0',
      registers,
      collect() {
        this.set(ctx.riskCache?.enabled ? 1 : 0)
      },
    })
    new Gauge({
      name: 'churnwatch_api_risk_cache_documents',
      help: 'Risk documents held in memory (0 while the score-change feed is lost)',
      registers,
      collect() {
        this.set(ctx.riskCache?.entries ?? 0)
      },
    })
    new Gauge({
      name: 'churnwatch_api_risk_cache_bytes',
      help: 'Approximate bytes of risk documents held in memory',
      registers,
      collect() {
        this.set(ctx.riskCache?.size ?? 0)
      },
    })

    app.decorate('apiMetrics', {
      events,
      riskCache: { hit: riskCacheLookups.labels({ result: 'hit' }), miss: riskCacheLookups.labels({ result: 'miss' }), off: riskCacheLookups.labels({ result: 'off' }) },
    })
    app.decorate('readConsumerLag', readLag)
    // One labelled child per (method, route, status), so observing skips prom-client's label hashing.
    const series = new Map<string, { observe: (seconds: number) => void }>()
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched'
      const key = `${request.method} ${reply.statusCode} ${route}`
      let child = series.get(key)
      if (!child) {
        child = duration.labels({ method: request.method, route, status_code: String(reply.statusCode) })
        series.set(key, child)
      }
      child.observe(reply.elapsedTime / 1000)
      done()
    })
    app.get('/metrics', { config: { access: 'public', rateLimit: false }, schema: { hide: true } }, async (_request, reply) => {
      const text = await ctx.registry.metrics()
      return reply.type(ctx.registry.contentType).send(text)
    })
  },
  { name: 'churnwatch-metrics' },
)
