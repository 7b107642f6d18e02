import { createLogger, createMetricsRegistry, type Logger, type Registry } from '@churnwatch/observability'
import {
  createEndpoint,
  createWebhookStore,
  enqueueWebhooks,
  migrate,
  type WebhookEndpoint,
} from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { generateSecret, type WebhookStore } from '../src/index.js'
import { startReceiver, type Behaviour, type Receiver } from './receiver.js'

export type LogLine = Record<string, unknown> & { level: string; msg: string }

export interface ManualClock {
  now: () => Date
  set: (at: Date) => void
  advance: (ms: number) => void
}

/** Everything one test needs, owned by that test: a database, receivers, logs, metrics, a clock. */
export interface World {
  db: TestDatabase
  store: WebhookStore
  log: Logger
  logs: LogLine[]
  registry: Registry
  clock: ManualClock
  receiver: (behaviour?: Behaviour, port?: number) => Promise<Receiver>
  endpoint: (receiver: Receiver | string, eventKinds: string[], id?: string) => Promise<WebhookEndpoint & { secret: string }>
  enqueue: (eventType: string, messageIdPrefix: string, payload?: Record<string, unknown>, now?: Date) => Promise<string[]>
  /** A counter's total, or a histogram's observation count, over series matching `labels`. */
  metric: (name: string, labels?: Record<string, string>) => Promise<number>
  close: () => Promise<void>
}

export function manualClock(start: Date): ManualClock {
  let t = start.getTime()
  return {
    now: () => new Date(t),
    set: (at) => {
      t = at.getTime()
    },
    advance: (ms) => {
      t += ms
    },
  }
}

export async function createWorld(start = new Date('2026-03-01T12:00:00Z')): Promise<World> {
  const db = await createTestDatabase('cw_webhooks')
  await migrate(db.pool)
  const logs: LogLine[] = []
  const log = createLogger({
    service: 'webhooks-test',
    level: 'debug',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
  })
  const registry = createMetricsRegistry({ service: 'webhooks-test', defaultMetrics: false })
  const receivers: Receiver[] = []
  const clock = manualClock(start)
  return {
    db,
    store: createWebhookStore(db.pool),
    log,
    logs,
    registry,
    clock,
    receiver: async (behaviour, port) => {
      const receiver = await startReceiver(behaviour, port)
      receivers.push(receiver)
      return receiver
    },
    endpoint: async (receiver, eventKinds, id) => {
      const secret = generateSecret()
      const url = typeof receiver === 'string' ? receiver : receiver.url
      const created = await createEndpoint(db.pool, { url, secret, eventKinds, now: clock.now(), ...(id ? { id } : {}) })
      return { ...created, secret }
    },
    enqueue: async (eventType, messageIdPrefix, payload = { alertId: messageIdPrefix }, now = clock.now()) => {
      const enqueued = await enqueueWebhooks(db.pool, { eventType, payload, customerId: 'acme', messageIdPrefix, now })
      return enqueued.map((e) => e.messageId)
    },
    metric: async (name, labels = {}) => {
      const metric = registry.getSingleMetric(name)
      if (!metric) return 0
      const { values } = await metric.get()
      return values
        // Counters: the value itself; histograms: their observation count.
        .filter((v) => !('metricName' in v) || v.metricName === undefined || v.metricName === `${name}_count`)
        .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
        .reduce((sum, v) => sum + v.value, 0)
    },
    close: async () => {
      await Promise.all(receivers.map((r) => r.close()))
      await db.drop()
    },
  }
}
