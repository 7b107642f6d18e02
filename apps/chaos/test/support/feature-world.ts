import type { ChurnEvent } from '@churnwatch/contract'
import { ensureFeatureBuilderTopics, featureBuilderTopics, type FeatureBuilder } from '@churnwatch/feature-builder'
import { createKafka, fetchEndOffsets, type KafkaClient } from '@churnwatch/kafka'
import { createLogger } from '@churnwatch/observability'
import { migrate } from '@churnwatch/storage'
import { createTestDatabase, produceMessages, uniqueName, waitFor, type TestDatabase } from '@churnwatch/testkit'
import { inject } from 'vitest'
import { toTopicMessages } from './events.js'
import { FEATURE_BUILDER_MAIN, startService, type ServiceProcess } from './processes.js'

/** A fresh database, topic prefix and consumer group for feature-builder processes. */
export interface FeatureWorld {
  db: TestDatabase
  kafka: KafkaClient
  prefix: string
  groupId: string
  topics: FeatureBuilder['topics']
  /** Starts `services/feature-builder/dist/main.js` on this world. */
  startBuilder: (env?: Record<string, string>) => ServiceProcess
  produce: (messages: readonly ChurnEvent[]) => Promise<void>
  /** Messages covered by the stored offsets, over every input partition. */
  foldedOffsets: () => Promise<number>
  /** Waits until the stored offsets reach the end offset of every input partition. */
  waitForEnd: (timeoutMs: number) => Promise<void>
  close: () => Promise<void>
}

export async function createFeatureWorld(name: string): Promise<FeatureWorld> {
  const db = await createTestDatabase(`cw_chaos_${name}`)
  await migrate(db.pool)
  const prefix = `${uniqueName(name)}.`
  const groupId = uniqueName(`${name}_group`)
  const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('chaos'), log: createLogger({ service: 'chaos-test', level: 'error' }) })
  const topics = featureBuilderTopics(prefix)
  await ensureFeatureBuilderTopics(kafka, topics)
  const started: ServiceProcess[] = []

  const storedOffsets = async () => {
    const { rows } = await db.pool.query<{ topic: string; partition: number; next_offset: string }>(
      'SELECT topic, partition, next_offset FROM consumer_offsets WHERE group_id = $1',
      [groupId],
    )
    return new Map(rows.map((r) => [`${r.topic}/${r.partition}`, BigInt(r.next_offset)]))
  }

  return {
    db,
    kafka,
    prefix,
    groupId,
    topics,
    startBuilder(env = {}) {
      const service = startService(FEATURE_BUILDER_MAIN, {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: inject('kafkaBrokers').join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_GROUP_ID: groupId,
        HTTP_PORT: '0',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        LOG_LEVEL: 'error',
        ...env,
      })
      started.push(service)
      return service
    },
    async produce(messages) {
      const { usage, billing, accounts } = toTopicMessages(messages)
      await Promise.all([produceMessages(topics.usage, usage), produceMessages(topics.billing, billing), produceMessages(topics.accounts, accounts)])
    },
    async foldedOffsets() {
      let sum = 0n
      for (const offset of (await storedOffsets()).values()) sum += offset
      return Number(sum)
    },
    async waitForEnd(timeoutMs) {
      const ends = new Map<string, bigint>()
      for (const topic of [topics.usage, topics.billing, topics.accounts]) {
        for (const [partition, end] of await fetchEndOffsets(kafka, topic)) ends.set(`${topic}/${partition}`, end)
      }
      await waitFor(
        async () => {
          const stored = await storedOffsets()
          return [...ends].every(([key, end]) => end === 0n || (stored.get(key) ?? 0n) >= end)
        },
        { timeoutMs, intervalMs: 250, description: 'stored offsets at every input partition end' },
      )
    },
    async close() {
      for (const service of started) await service.killHard()
      await db.drop()
    },
  }
}
