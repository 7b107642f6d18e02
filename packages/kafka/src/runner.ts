import type { DeadLetterEvent, ValidationIssue } from '@churnwatch/contract'
import { Counter, Gauge, Histogram, type Logger, type Registry } from '@churnwatch/observability'
import type { Consumer, EachBatchPayload } from 'kafkajs'
import type { KafkaClient } from './client.js'
import { kafkajsOf } from './handles.js'
import type { Publisher } from './publisher.js'

/** One message as read from Kafka, before validation. */
export interface RawMessage {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
}

export type ParseResult<T> = { ok: true; event: T } | { ok: false; issues: ValidationIssue[] }

/** What a handler receives: the valid events of one partition's batch and the offsets it covers. */
export interface PartitionBatch<T> {
  topic: string
  partition: number
  events: Array<{ offset: string; event: T }>
  /** The first offset after this batch (last offset + 1), dead letters included. */
  nextOffset: bigint
  firstOffset: bigint
}

export interface BatchRunnerOptions<T> {
  kafka: KafkaClient
  groupId: string
  topics: string[]
  deadLetterTopic: string
  publisher: Publisher
  log: Logger
  registry?: Registry
  parse: (topic: string, value: Buffer | null) => ParseResult<T>
  /** Persists the batch's effect and its nextOffset atomically; throws to have the batch retried. */
  handleBatch: (batch: PartitionBatch<T>) => Promise<void>
  /** Stored positions (partition → next offset) to seek to when partitions are assigned. */
  loadOffsets?: (topic: string) => Promise<Map<number, bigint>>
  /** Called when the consumer crashed and will not restart (e.g. a programmer error). */
  onFatal?: (error: unknown) => void
  partitionsConsumedConcurrently?: number
  /** Upper bound of bytes fetched per partition per request; bounds a batch's size and memory. */
  maxBytesPerPartition?: number
  /** Upper bound of bytes per fetch across all partitions: what is held in memory at once. */
  maxBytes?: number
  /** How long the group waits for a silent member (a killed process) before reassigning its partitions. */
  sessionTimeoutMs?: number
}

export interface BatchRunner {
  start: () => Promise<void>
  /** Finishes the batch in flight (or abandons it uncommitted), then leaves the group. */
  stop: () => Promise<void>
  /**
   * True between a successful join and stop or crash while the broker answers: false once no
   * request has succeeded for the session timeout (10 s at least), which is how long the group
   * waits before it gives this member's partitions away.
   */
  isHealthy: () => boolean
}

/**
 * A consumer-group loop that validates each message, dead-letters the bad ones with their
 * original bytes and issues, and hands the good ones to `handleBatch` one partition batch at a
 * time. Offsets are owned by the handler's store (seeked to on assignment); Kafka's own
 * committed offsets follow them, for lag tooling.
 */
export function createBatchRunner<T>(options: BatchRunnerOptions<T>): BatchRunner {
  const log = options.log.child({ component: 'kafka-runner', groupId: options.groupId })
  const metrics = createRunnerMetrics(options.registry)
  const consumer: Consumer = kafkajsOf(options.kafka).consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
    maxBytes: options.maxBytes ?? 10_485_760,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
  })
  let healthy = false
  // kafkajs retries a lost broker for a minute or more before it reports a crash, so readiness also
  // follows the last request that got an answer (fetches and heartbeats come every few seconds).
  const staleAfterMs = Math.max(options.sessionTimeoutMs ?? 30_000, 10_000)
  let lastAnswerAt = 0

  consumer.on(consumer.events.REQUEST, () => {
    lastAnswerAt = Date.now()
  })
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    healthy = true
    lastAnswerAt = Date.now()
    log.info({ assignment: payload.memberAssignment }, 'partitions assigned')
    void seekToStoredOffsets(payload.memberAssignment).catch((err: unknown) => {
      // The handler's offset fence keeps state right even without the seek: refetched batches are skipped.
      log.warn({ err }, 'seek to stored offsets failed')
    })
  })
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    healthy = false
    // A retriable crash (broker or database away) restarts by itself: a warning; one that does not, needs a human.
    if (payload.restart) log.warn({ err: payload.error }, 'consumer crashed, restarting')
    else log.error({ err: payload.error }, 'consumer crashed for good')
    if (!payload.restart) options.onFatal?.(payload.error)
  })
  consumer.on(consumer.events.STOP, () => {
    healthy = false
  })

  async function seekToStoredOffsets(assignment: Record<string, number[]>): Promise<void> {
    if (!options.loadOffsets) return
    for (const [topic, partitions] of Object.entries(assignment)) {
      const stored = await options.loadOffsets(topic)
      for (const partition of partitions) {
        const offset = stored.get(partition)
        if (offset !== undefined) consumer.seek({ topic, partition, offset: offset.toString() })
      }
    }
  }

  // The payload's functions are called on it, not destructured: kafkajs declares them as methods.
  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload
    if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return
    const started = process.hrtime.bigint()
    const { topic, partition } = batch
    const events: PartitionBatch<T>['events'] = []
    const deadLetters: DeadLetterEvent[] = []
    for (const message of batch.messages) {
      const parsed = options.parse(topic, message.value)
      if (parsed.ok) events.push({ offset: message.offset, event: parsed.event })
      else deadLetters.push(toDeadLetter({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value }, parsed.issues))
    }
    // Dead letters are published before the batch commits: a crash in between repeats them
    // (same eventId, so readers can deduplicate) rather than losing them. The publisher splits a
    // large batch of them into requests the broker takes.
    if (deadLetters.length > 0) {
      await options.publisher.publish(
        options.deadLetterTopic,
        deadLetters.map((d) => ({ key: d.key, value: d })),
      )
      metrics.messages.inc({ topic, result: 'dead_lettered' }, deadLetters.length)
      for (const d of deadLetters) log.warn({ topic, partition, offset: d.offset, issues: d.error.issues }, 'event dead-lettered')
    }
    const lastOffset = batch.lastOffset()
    await options.handleBatch({
      topic,
      partition,
      events,
      firstOffset: BigInt(batch.firstOffset() ?? lastOffset),
      nextOffset: BigInt(lastOffset) + 1n,
    })
    payload.resolveOffset(lastOffset)
    metrics.messages.inc({ topic, result: 'valid' }, events.length)
    metrics.lag.set({ topic, partition: String(partition) }, Number(batch.offsetLag()))
    metrics.batchSeconds.observe({ topic }, Number(process.hrtime.bigint() - started) / 1e9)
    log.debug({ topic, partition, valid: events.length, deadLettered: deadLetters.length, lastOffset }, 'batch folded')
    await payload.commitOffsetsIfNecessary()
    await payload.heartbeat()
  }

  return {
    async start() {
      await consumer.connect()
      await consumer.subscribe({ topics: options.topics, fromBeginning: true })
      await consumer.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch,
      })
    },
    async stop() {
      healthy = false
      await consumer.disconnect()
    },
    isHealthy: () => healthy && Date.now() - lastAnswerAt < staleAfterMs,
  }
}

function toDeadLetter(message: RawMessage, issues: ValidationIssue[]): DeadLetterEvent {
  return {
    eventId: `dlq:${message.topic}:${message.partition}:${message.offset}`,
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    originalBase64: message.value === null ? null : message.value.toString('base64'),
    error: {
      code: 'CW_CONTRACT_INVALID_EVENT',
      message: issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '),
      issues,
    },
    failedAt: new Date().toISOString(),
  }
}

function createRunnerMetrics(registry: Registry | undefined) {
  const registers = registry ? [registry] : []
  return {
    messages: new Counter({
      name: 'churnwatch_consumer_messages_total',
      help: 'Messages consumed, by topic and result (valid or dead_lettered)',
      labelNames: ['topic', 'result'],
      registers,
    }),
    lag: new Gauge({
      name: 'churnwatch_consumer_lag_messages',
      help: 'Messages behind the partition high watermark after the last batch',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'churnwatch_consumer_batch_seconds',
      help: 'Time to validate, dead-letter and fold one partition batch',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  }
}
