import { ConfigError, loadConfig } from '@churnwatch/config'
import { createKafka } from '@churnwatch/kafka'
import { closeGracefully, createLogger, createMetricsRegistry, startOpsServer } from '@churnwatch/observability'
import { createPool, migrate, pingDatabase } from '@churnwatch/storage'
import { featureBuilderConfigSchema, readEnv } from './config.js'
import { createFeatureBuilder } from './feature-builder.js'

async function main(): Promise<void> {
  const config = loadConfig(featureBuilderConfigSchema, readEnv())
  const log = createLogger({ service: 'feature-builder', level: config.LOG_LEVEL })
  const registry = createMetricsRegistry({ service: 'feature-builder' })
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    applicationName: 'churnwatch-feature-builder',
    onIdleError: (err) => log.warn({ err }, 'idle database connection closed'),
  })
  await migrate(pool)
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'churnwatch-feature-builder', log })
  const builder = createFeatureBuilder({
    pool,
    kafka,
    log,
    registry,
    groupId: config.KAFKA_GROUP_ID,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    partitionsConsumedConcurrently: config.PARTITIONS_CONSUMED_CONCURRENTLY,
    maxBytesPerPartition: config.KAFKA_FETCH_MAX_BYTES_PER_PARTITION,
    maxBytes: config.KAFKA_FETCH_MAX_BYTES,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    onFatal: () => process.kill(process.pid, 'SIGTERM'),
  })
  // Not ready while the broker or the database is away; the process stays up and recovers by itself.
  const ops = await startOpsServer({ port: config.HTTP_PORT, registry, isReady: builder.isReady, checks: { database: () => pingDatabase(pool) } })
  closeGracefully({ log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal }, 'shutting down')
    await builder.stop()
    await ops.close()
    await pool.end()
  })
  await builder.start()
  log.info({ port: ops.port }, 'ops server listening')
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
  process.exit(1)
})
