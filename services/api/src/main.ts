import { ConfigError, loadConfig } from '@churnwatch/config'
import { TOPIC_SPECS } from '@churnwatch/contract'
import { createKafka, createPublisher, ensureTopics } from '@churnwatch/kafka'
import { closeGracefully, createLogger, createMetricsRegistry } from '@churnwatch/observability'
import { createOutboxRelay, createPool, listenForScoreChanges, migrate } from '@churnwatch/storage'
import { apiTopics, buildApp, bundledConsoleDir } from './app.js'
import { apiConfigSchema, readEnv } from './config.js'

async function main(): Promise<void> {
  const config = loadConfig(apiConfigSchema, readEnv())
  const log = createLogger({ service: 'api', level: config.LOG_LEVEL })
  const registry = createMetricsRegistry({ service: 'api' })
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    applicationName: 'churnwatch-api',
    onIdleError: (err) => log.warn({ err }, 'idle database connection closed'),
  })
  await migrate(pool)
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'churnwatch-api', log })
  const topics = apiTopics(config.KAFKA_TOPIC_PREFIX)
  // The topics this service produces to, so that intake works before the consumers first start.
  await ensureTopics(kafka, [
    { topic: topics.usage, numPartitions: TOPIC_SPECS.usage.numPartitions },
    { topic: topics.billing, numPartitions: TOPIC_SPECS.billing.numPartitions },
    { topic: topics.accounts, numPartitions: TOPIC_SPECS.accounts.numPartitions },
    { topic: topics.alerts, numPartitions: TOPIC_SPECS.alerts.numPartitions },
  ])
  const publisher = createPublisher(kafka, { log })
  await publisher.connect()
  // The process's one relay of the Kafka outbox; what a failure leaves is relayed by the scorer.
  const outbox = createOutboxRelay(
    pool,
    (topic, messages) => publisher.publish(topic, messages),
    (err) => log.warn({ err }, 'outbox relay failed; the scorer relays what is left'),
  )
  // A dedicated connection hears every committed risk_scores write, so the risk route can serve from memory.
  const scoreChanges = config.RISK_CACHE_MB > 0 ? listenForScoreChanges({ connectionString: config.DATABASE_URL, applicationName: 'churnwatch-api-score-changes' }) : undefined
  const app = await buildApp({
    pool,
    publisher,
    outbox,
    kafka,
    log,
    registry,
    topics,
    scoreChanges,
    options: {
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      eventsBatchBodyLimitBytes: config.EVENTS_BATCH_BODY_LIMIT_BYTES,
      featureBuilderGroupId: config.FEATURE_BUILDER_GROUP_ID,
      readyMaxConsumerLag: config.READY_MAX_CONSUMER_LAG,
      authCacheTtlMs: config.AUTH_CACHE_TTL_MS,
      publishTimeoutMs: config.PUBLISH_TIMEOUT_MS,
      trustProxyHops: config.TRUST_PROXY_HOPS,
      allowPrivateWebhookNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      riskCacheMaxBytes: config.RISK_CACHE_MB * 1_048_576,
      sessionSecret: config.SESSION_SECRET,
      sessionTtlMs: config.SESSION_TTL_MINUTES * 60_000,
      consoleDir: config.CONSOLE_DIR ?? bundledConsoleDir(),
    },
  })
  closeGracefully({ log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal }, 'shutting down')
    // In-flight requests finish; new ones get 503 while closing.
    await app.close()
    await scoreChanges?.close()
    await publisher.disconnect()
    await outbox.idle()
    await pool.end()
  })
  const address = await app.listen({ host: config.HOST, port: config.PORT })
  log.info({ address }, 'api listening')
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
  process.exit(1)
})
