import type { Logger } from '@churnwatch/observability'
import { Kafka, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs'
import { bindKafkajs } from './handles.js'

/**
 * A Kafka cluster as this package's functions take it (publisher, runner, topics, probes): made by
 * createKafka, opaque to callers, so that no caller depends on the client library behind it.
 */
export interface KafkaClient {
  readonly clientId: string
  readonly brokers: readonly string[]
}

export interface KafkaClientOptions {
  brokers: string[]
  clientId: string
  log: Logger
  /** Connection and request timeouts; defaults suit a local broker. */
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
}

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
}

/**
 * Creates a client (kafkajs underneath) whose own logs go to a pino child (`component: kafkajs`).
 * Only this package knows kafkajs, so another client library can replace it here alone.
 */
export function createKafka(options: KafkaClientOptions): KafkaClient {
  const kafkaLog = options.log.child({ component: 'kafkajs' })
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // Backoff capped at 5 s (kafkajs: 30 s): after a broker or database outage the consumer is
    // back within seconds of the dependency, not half a minute later. Retries still run out after
    // ~25 s; the consumer then restarts itself (see the runner), the publisher retries its send.
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 8 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...extra } = log
        // kafkajs logs an ERROR per retry while a broker is down; those are warnings until retries run out.
        const pinoLevel = PINO_LEVEL[level] ?? 'info'
        kafkaLog[pinoLevel === 'error' && extra.retryCount !== undefined ? 'warn' : pinoLevel]({ namespace, ...extra }, message)
      },
  })
  const client: KafkaClient = Object.freeze({ clientId: options.clientId, brokers: Object.freeze([...options.brokers]) })
  bindKafkajs(client, kafka)
  return client
}
