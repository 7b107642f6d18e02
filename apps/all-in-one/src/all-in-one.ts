import { apiTopics, buildApp, bundledConsoleDir, type ApiApp } from '@churnwatch/api'
import { createFeatureBuilder, type FeatureBuilder } from '@churnwatch/feature-builder'
import { createKafka, createPublisher } from '@churnwatch/kafka'
import { createMetricsRegistry, startOpsServer, type Logger, type OpsServer } from '@churnwatch/observability'
import { createScorer, type Scorer } from '@churnwatch/scorer'
import { createOutboxRelay, createPool, createWebhookStore, listenForScoreChanges, migrate, pingDatabase, type Pool } from '@churnwatch/storage'
import { createWebhookDispatcher } from '@churnwatch/webhooks'
import type { AllInOneConfig } from './config.js'

export interface AllInOne {
  pool: Pool
  builder: FeatureBuilder
  scorer: Scorer
  app: ApiApp
  /** Base URL the API listens on. */
  url: string
  /** The console's URL (the API serves it when apps/console is built); undefined without it. */
  consoleUrl: string | undefined
  stop: () => Promise<void>
}

/**
 * Every service in one process (npm start, the demo): the feature builder, the scorer with webhook
 * delivery, and the API, sharing one pool and one Kafka client. Each keeps its own metrics
 * registry, as when deployed apart; the builder's and scorer's are served on their ops ports
 * (FEATURE_BUILDER_HTTP_PORT, SCORER_HTTP_PORT; 0 = any free port), and each consumes in its own
 * group (FEATURE_BUILDER_GROUP_ID, SCORER_GROUP_ID), so processes with different topic prefixes
 * share a broker without stealing each other's partitions.
 */
export async function startAllInOne(config: AllInOneConfig, log: Logger, options: { modelPollIntervalMs?: number } = {}): Promise<AllInOne> {
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: 20, applicationName: 'churnwatch-all-in-one',
    onIdleError: (err) => log.warn({ err }, 'idle database connection closed'),
  })
  await migrate(pool)
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'churnwatch-all-in-one', log })
  const prefix = config.KAFKA_TOPIC_PREFIX
  const builderRegistry = createMetricsRegistry({ service: 'feature-builder' })
  const scorerRegistry = createMetricsRegistry({ service: 'scorer', defaultMetrics: false })
  const apiRegistry = createMetricsRegistry({ service: 'api', defaultMetrics: false })
  const builder = createFeatureBuilder({ pool, kafka, log, registry: builderRegistry, groupId: config.FEATURE_BUILDER_GROUP_ID, topicPrefix: prefix })
  // One publisher and one Kafka outbox relay for the scorer and the API alike.
  const publisher = createPublisher(kafka, { log })
  const outbox = createOutboxRelay(
    pool,
    (topic, messages) => publisher.publish(topic, messages),
    (err) => log.warn({ err }, 'outbox relay failed; retrying on the next tick'),
  )
  const scorer = createScorer({
    pool,
    kafka,
    publisher,
    outbox,
    log,
    registry: scorerRegistry,
    groupId: config.SCORER_GROUP_ID,
    topicPrefix: prefix,
    clock: config.SCORER_CLOCK,
    sweepIntervalMs: config.SWEEP_INTERVAL_MS,
    modelPollIntervalMs: options.modelPollIntervalMs ?? 10_000,
    materialDelta: 0.05,
  })
  const dispatcher = createWebhookDispatcher({ store: createWebhookStore(pool), log, registry: scorerRegistry, pollIntervalMs: 200, allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS })
  const stops: Array<() => Promise<void>> = []
  try {
    await publisher.connect()
    stops.push(async () => {
      // A relay waiting out a broker outage ends with the publisher; its rows stay for the next start.
      await publisher.disconnect()
      await outbox.idle()
    })
    await builder.start()
    stops.push(() => builder.stop())
    await scorer.start()
    stops.push(() => scorer.stop())
    await dispatcher.start()
    stops.push(() => dispatcher.stop())
    // Each /readyz also names the database, as the separate services' do.
    const database = () => pingDatabase(pool)
    const ops: OpsServer[] = [
      await startOpsServer({ port: config.FEATURE_BUILDER_HTTP_PORT, host: config.HOST, registry: builderRegistry, isReady: builder.isReady, checks: { database } }),
      await startOpsServer({ port: config.SCORER_HTTP_PORT, host: config.HOST, registry: scorerRegistry, isReady: scorer.isReady, checks: { database } }),
    ]
    for (const server of ops) stops.push(() => server.close())
    // The API's risk cache follows score changes as in the separate service.
    const scoreChanges = listenForScoreChanges({ connectionString: config.DATABASE_URL, applicationName: 'churnwatch-all-in-one-score-changes' })
    stops.push(() => scoreChanges.close())
    const consoleDir = bundledConsoleDir()
    const app = await buildApp({ pool, publisher, outbox, kafka, log, registry: apiRegistry, topics: apiTopics(prefix), scoreChanges, options: { featureBuilderGroupId: config.FEATURE_BUILDER_GROUP_ID, allowPrivateWebhookNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS, consoleDir, sessionSecret: config.SESSION_SECRET } })
    const url = await app.listen({ host: config.HOST, port: config.PORT })
    stops.push(() => app.close())
    return {
      pool,
      builder,
      scorer,
      app,
      url,
      consoleUrl: consoleDir === undefined ? undefined : `${url}/app/`,
      async stop() {
        // Reverse order: stop taking requests first, then consumers, then shared clients.
        for (const stop of stops.reverse()) await stop()
        await pool.end()
      },
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
    await pool.end()
    throw err
  }
}
