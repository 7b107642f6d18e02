import type { Logger } from '@churnwatch/observability'
import { CompressionTypes, Partitioners, type Message, type Producer, type ProducerRecord } from 'kafkajs'
import { splitByBytes } from './batches.js'
import type { KafkaClient } from './client.js'
import { kafkajsOf } from './handles.js'

export interface OutgoingMessage {
  /** Partition key: the customerId for churnwatch topics; null only for keyless dead letters. */
  key: string | null
  /** Serialised as JSON unless already bytes. */
  value: unknown
  headers?: Record<string, string>
}

export interface Publisher {
  connect: () => Promise<void>
  /**
   * Resolves once the broker has every message; waits out a broker outage (rejects only on bad
   * input or disconnect). A batch of any size goes in requests of at most `maxRequestBytes`, in
   * order, one after the other.
   */
  publish: (topic: string, messages: readonly OutgoingMessage[]) => Promise<void>
  disconnect: () => Promise<void>
}

export interface PublisherOptions {
  /** Told when a send is retried because the broker is unreachable (first attempt, then every 10th). */
  log?: Logger
  /** Longest pause between two attempts while the broker is away (default 5 s). */
  maxBackoffMs?: number
  /**
   * Bytes of keys, values and headers per send (default 512 KiB). Well under the broker's default
   * message.max.bytes (1 MiB), which bounds what one partition takes from one request.
   */
  maxRequestBytes?: number
}

// A record's bytes besides its key, value and headers: length, attributes, timestamp and offset
// deltas and the key/value/header lengths, as varints (at most ~40 bytes), rounded up.
const RECORD_OVERHEAD_BYTES = 64
const HEADER_OVERHEAD_BYTES = 10

function recordBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value)
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + (Array.isArray(value) ? value.reduce((sum: number, v) => sum + byteLength(v), 0) : byteLength(value))
  }
  return bytes
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0
  return Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value)
}

/** Creates an idempotent producer (no duplicates from its own retries) that publishes JSON keyed messages. */
export function createPublisher(client: KafkaClient, options: PublisherOptions = {}): Publisher {
  const maxBackoffMs = options.maxBackoffMs ?? 5_000
  const maxRequestBytes = options.maxRequestBytes ?? 512 * 1024
  const producer: Producer = kafkajsOf(client).producer({
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
      const records: Message[] = messages.map((m) => ({
        key: m.key,
        value: Buffer.isBuffer(m.value) ? m.value : JSON.stringify(m.value),
        headers: m.headers,
      }))
      // Sequential: the idempotent producer keeps each partition's order across the requests.
      for (const run of splitByBytes(records, recordBytes, maxRequestBytes)) {
        await send({ topic, acks: -1, compression: CompressionTypes.None, messages: run })
      }
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
