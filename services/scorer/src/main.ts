import { ConfigError, loadConfig } from '@churnwatch/config'
import { createKafka, createPublisher } from '@churnwatch/kafka'
import { closeGracefully, createLogger, createMetricsRegistry, startOpsServer } from '@churnwatch/observability'
import { createOutboxRelay, createPool, createWebhookStore, migrate, pingDatabase } from '@churnwatch/storage'
import { createWebhookDispatcher } from '@churnwatch/webhooks'
import { readEnv, scorerConfigSchema } from './config.js'
import { loadPlayBook } from './playbook.js'
import { createScorer } from './scorer.js'

async function main(): Promise<void> {
  const config = loadConfig(scorerConfigSchema, readEnv())
  // A bad play book stops the start, listing every bad entry.
  const plays = loadPlayBook(config.PLAYS_FILE)
  const log = createLogger({ service: 'scorer', level: config.LOG_LEVEL })
  const registry = createMetricsRegistry({ service: 'scorer' })
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    applicationName: 'churnwatch-scorer',
    onIdleError: (err) => log.warn({ err }, 'idle database connection closed'),
  })
  await migrate(pool)
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'churnwatch-scorer', log })
  const publisher = createPublisher(kafka, { log })
  // The process's one relay of the Kafka outbox; failures leave the rows for the scorer's next tick.
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
    registry,
    groupId: config.KAFKA_GROUP_ID,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    clock: config.SCORER_CLOCK,
    sweepIntervalMs: config.SWEEP_INTERVAL_MS,
    modelPollIntervalMs: config.MODEL_POLL_INTERVAL_MS,
    materialDelta: config.MATERIAL_DELTA,
    bandOverrides: {
      ...(config.BAND_HIGH !== undefined ? { high: config.BAND_HIGH } : {}),
      ...(config.BAND_MEDIUM !== undefined ? { medium: config.BAND_MEDIUM } : {}),
      ...(config.BAND_REARM !== undefined ? { rearm: config.BAND_REARM } : {}),
    },
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    plays,
    renewalAlertDays: config.RENEWAL_ALERT_DAYS,
    renewalMinPeriodMonths: config.RENEWAL_ALERT_MIN_PERIOD_MONTHS,
    ...(config.CHURN_SPIKE_ENABLED
      ? {
          churnRateCheck: {
            intervalMs: config.CHURN_SPIKE_CHECK_INTERVAL_MS,
            level: config.CHURN_SPIKE_LEVEL,
            minChurned: config.CHURN_SPIKE_MIN_CHURNED,
            minSegmentCustomers: config.CHURN_SPIKE_MIN_SEGMENT_CUSTOMERS,
            baselinePeriods: config.CHURN_SPIKE_BASELINE_PERIODS,
          },
        }
      : {}),
    onFatal: () => process.kill(process.pid, 'SIGTERM'),
  })
  const dispatcher = config.WEBHOOKS_ENABLED
    ? createWebhookDispatcher({
        store: createWebhookStore(pool),
        log,
        registry,
        pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
        leaseMs: config.WEBHOOK_LEASE_MS,
        allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      })
    : undefined
  const ops = await startOpsServer({ port: config.HTTP_PORT, registry, isReady: scorer.isReady, checks: { database: () => pingDatabase(pool) } })
  closeGracefully({ log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal }, 'shutting down')
    await dispatcher?.stop()
    await scorer.stop()
    // A relay waiting out a broker outage ends with the publisher; its rows stay for the next start.
    await publisher.disconnect()
    await outbox.idle()
    await ops.close()
    await pool.end()
  })
  await publisher.connect()
  await scorer.start()
  await dispatcher?.start()
  log.info({ port: ops.port }, 'ops server listening')
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
  process.exit(1)
})
