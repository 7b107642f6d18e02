import type { Logger } from '@churnwatch/observability'
import { CompressionTypes, Partitioners, type Kafka, type Producer, type ProducerRecord } from 'kafkajs'

export interface OutgoingMessage {
  /** Partition key: the customerId for churnwatch topics; null only for keyless dead letters. */
  key: string | null
  /** Serialised as JSON unless already bytes. */
  value: unknown
  headers?: Record<string, string>
}

export interface Publisher {
  connect: () => Promise<void>
  /** Resolves once the broker has the messages; waits out a broker outage (rejects only on bad input or disconnect). */
  publish: (topic: string, messages: readonly OutgoingMessage[]) => Promise<void>
  disconnect: () => Promise<void>
}

export interface PublisherOptions {
  /** Told when a send is retried because the broker is unreachable (first attempt, then every 10th). */
  log?: Logger
  /** Longest pause between two attempts while the broker is away (default 5 s). */
  maxBackoffMs?: number
}

/** Creates an idempotent producer (no duplicates from its own retries) that publishes JSON keyed messages. */
export function createPublisher(kafka: Kafka, options: PublisherOptions = {}): Publisher {
  const maxBackoffMs = options.maxBackoffMs ?? 5_000
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // murmur2 like the Java client, so every producer puts a customer on the same partition.
    createPartitioner: Partitioners.DefaultPartitioner,
    // An idempotent producer keeps its guarantees only if it never gives up; backoff is capped
    // so that it reconnects within seconds once a broker is back.
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: maxBackoffMs },
  })
  let closing = false
  let wakeUp: (() => void) | undefined

  async function send(record: ProducerRecord): Promise<void> {
    // kafkajs's own retries stop when reconnecting to the broker exhausts the client's retries
    // (KafkaJSNumberOfRetriesExceeded, then KafkaJSNonRetriableError around a connection error):
    // a broker down for half a minute would lose the send. Those are retried here, with the same
    // producer, so the broker's sequence check still drops a batch that did land before.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await producer.send(record)
        return
      } catch (err) {
        if (closing || !isRetriableKafkaError(err)) throw err
        if (attempt === 1 || attempt % 10 === 0) options.log?.warn({ err, topic: record.topic, attempt }, 'broker unreachable, retrying send')
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(maxBackoffMs, 250 * 2 ** Math.min(attempt, 8)))
          wakeUp = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    }
  }

  return {
    connect: async () => {
      closing = false
      await producer.connect()
    },
    disconnect: async () => {
      closing = true
      wakeUp?.()
      await producer.disconnect()
    },
    publish: async (topic, messages) => {
      if (messages.length === 0) return
      await send({
        topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: messages.map((m) => ({
          key: m.key,
          value: Buffer.isBuffer(m.value) ? m.value : JSON.stringify(m.value),
          headers: m.headers,
        })),
      })
    },
  }
}

const RETRIABLE_NAMES = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
])

/**
 * True when a failed send is worth repeating: the broker was unreachable or slow (anywhere in the
 * cause chain), not when the request itself was refused (too large, unauthorised, bad record).
 */
export function isRetriableKafkaError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth += 1) {
    if (RETRIABLE_NAMES.has(e.name)) return true
    if (e.name === 'KafkaJSProtocolError') return (e as { retriable?: unknown }).retriable === true
  }
  return false
}
