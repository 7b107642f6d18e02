import { parseEvent, TOPICS, TOPIC_SPECS, type ChurnEvent, type EventKind } from '@churnwatch/contract'
import { createBatchRunner, createPublisher, ensureTopics, type KafkaClient } from '@churnwatch/kafka'
import { Counter, type Logger, type Registry } from '@churnwatch/observability'
import { readPartitionOffsets, type Pool } from '@churnwatch/storage'
import { createFoldBatchHandler } from './handlers/fold-batch.js'

export interface FeatureBuilderDeps {
  pool: Pool
  kafka: KafkaClient
  log: Logger
  registry: Registry
  groupId: string
  topicPrefix?: string
  partitionsConsumedConcurrently?: number
  /**
   * Bytes fetched per partition and request: the size of a batch, so of a transaction (default
   * 2 MiB, ~10,000 events). Larger batches fold more events per customer into one row update and
   * one announcement; see bench/ingest.mjs.
   */
  maxBytesPerPartition?: number
  /** Bytes fetched per request across partitions (default 12 MiB): bounds what is held in memory. */
  maxBytes?: number
  sessionTimeoutMs?: number
  /** Called if the consumer stops for good (e.g. a programmer error); main exits non-zero. */
  onFatal?: (error: unknown) => void
}

export interface FeatureBuilder {
  start: () => Promise<void>
  stop: () => Promise<void>
  isReady: () => boolean
  topics: { usage: string; billing: string; accounts: string; featuresChanged: string; deadLetter: string }
}

/** Wires the batch runner, the fold handler and the publisher: consumes usage, billing and account events. */
export function createFeatureBuilder(deps: FeatureBuilderDeps): FeatureBuilder {
  const topics = featureBuilderTopics(deps.topicPrefix ?? '')
  const kindOfTopic: Record<string, EventKind> = { [topics.usage]: 'usage', [topics.billing]: 'billing', [topics.accounts]: 'account' }
  const log = deps.log.child({ component: 'feature-builder' })
  const publisher = createPublisher(deps.kafka, { log })
  const counters = {
    folded: new Counter({
      name: 'churnwatch_events_folded_total',
      help: 'New events folded into feature state, by kind',
      labelNames: ['kind'] as const,
      registers: [deps.registry],
    }),
    duplicates: new Counter({
      name: 'churnwatch_events_duplicate_total',
      help: 'Events skipped because their eventId was already folded',
      registers: [deps.registry],
    }),
  }
  const runner = createBatchRunner<ChurnEvent>({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topics: [topics.usage, topics.billing, topics.accounts],
    deadLetterTopic: topics.deadLetter,
    publisher,
    // The runner tags its lines with its own component; a logger that already has one would repeat the key.
    log: deps.log,
    registry: deps.registry,
    partitionsConsumedConcurrently: deps.partitionsConsumedConcurrently ?? 2,
    maxBytesPerPartition: deps.maxBytesPerPartition ?? 2_097_152,
    maxBytes: deps.maxBytes ?? 12_582_912,
    sessionTimeoutMs: deps.sessionTimeoutMs ?? 30_000,
    parse: (topic, value) => parseEvent(value, kindOfTopic[topic] ?? 'usage'),
    handleBatch: createFoldBatchHandler({
      pool: deps.pool,
      publisher,
      groupId: deps.groupId,
      featuresChangedTopic: topics.featuresChanged,
      log,
      counters,
    }),
    loadOffsets: (topic) => readPartitionOffsets(deps.pool, deps.groupId, topic),
    ...(deps.onFatal ? { onFatal: deps.onFatal } : {}),
  })

  return {
    topics,
    async start() {
      const created = await ensureFeatureBuilderTopics(deps.kafka, topics)
      if (created.length > 0) log.info({ created }, 'topics created')
      await publisher.connect()
      await runner.start()
      log.info({ topics }, 'feature builder started')
    },
    async stop() {
      await runner.stop()
      await publisher.disconnect()
      log.info('feature builder stopped')
    },
    isReady: () => runner.isHealthy(),
  }
}

/** The topics the feature builder reads and writes, under an optional prefix. */
export function featureBuilderTopics(prefix: string): FeatureBuilder['topics'] {
  return {
    usage: prefix + TOPICS.usage,
    billing: prefix + TOPICS.billing,
    accounts: prefix + TOPICS.accounts,
    featuresChanged: prefix + TOPICS.featuresChanged,
    deadLetter: prefix + TOPICS.deadLetter,
  }
}

/** Creates the feature builder's topics where missing (broker auto-creation is off). */
export function ensureFeatureBuilderTopics(kafka: KafkaClient, topics: FeatureBuilder['topics']): Promise<string[]> {
  return ensureTopics(kafka, [
    { topic: topics.usage, numPartitions: TOPIC_SPECS.usage.numPartitions },
    { topic: topics.billing, numPartitions: TOPIC_SPECS.billing.numPartitions },
    { topic: topics.accounts, numPartitions: TOPIC_SPECS.accounts.numPartitions },
    { topic: topics.featuresChanged, numPartitions: TOPIC_SPECS.featuresChanged.numPartitions },
    { topic: topics.deadLetter, numPartitions: TOPIC_SPECS.deadLetter.numPartitions, configs: TOPIC_SPECS.deadLetter.configs },
  ])
}
