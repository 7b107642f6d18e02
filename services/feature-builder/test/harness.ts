import { createKafka, fetchEndOffsets } from '@churnwatch/kafka'
import { createLogger, createMetricsRegistry, type Registry } from '@churnwatch/observability'
import { digestFeatureState, migrate } from '@churnwatch/storage'
import { createTestDatabase, produceMessages, uniqueName, waitFor, type TestDatabase } from '@churnwatch/testkit'
import { inject } from 'vitest'
import {
  createFeatureBuilder,
  ensureFeatureBuilderTopics,
  featureBuilderTopics,
  type FeatureBuilder,
} from '../src/feature-builder.js'
import { toTopicMessages } from './fixtures.js'
import type { ChurnEvent } from '@churnwatch/contract'

export interface World {
  db: TestDatabase
  prefix: string
  groupId: string
  topics: FeatureBuilder['topics']
  start: () => Promise<{ builder: FeatureBuilder; registry: Registry }>
  produce: (events: readonly ChurnEvent[]) => Promise<void>
  /**
   * Waits until the stored offsets reach every input partition's end offset and cover at least
   * `messages` messages: a count alone could be met early if a producer retry wrote a copy twice.
   */
  waitForOffsets: (messages: number, timeoutMs?: number) => Promise<void>
  foldedOffsets: () => Promise<number>
  digest: () => Promise<string>
  close: () => Promise<void>
}

/** A fresh database, topic prefix and consumer group, with builders started in this process. */
export async function createWorld(name: string): Promise<World> {
  const db = await createTestDatabase(`cw_fb_${name}`)
  await migrate(db.pool)
  const prefix = `${uniqueName(name)}.`
  const groupId = uniqueName(`${name}_group`)
  const log = createLogger({ service: 'feature-builder-test', level: 'error' })
  const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('fb'), log })
  const running: FeatureBuilder[] = []
  const topicsOf = featureBuilderTopics(prefix)
  await ensureFeatureBuilderTopics(kafka, topicsOf)

  const foldedOffsets = async () => {
    const { rows } = await db.pool.query<{ n: number | null }>(
      'SELECT sum(greatest(next_offset, 0))::int AS n FROM consumer_offsets WHERE group_id = $1',
      [groupId],
    )
    return rows[0]?.n ?? 0
  }

  return {
    db,
    prefix,
    groupId,
    topics: topicsOf,
    async start() {
      const registry = createMetricsRegistry({ service: 'feature-builder', defaultMetrics: false })
      const builder = createFeatureBuilder({ pool: db.pool, kafka, log, registry, groupId, topicPrefix: prefix })
      await builder.start()
      running.push(builder)
      return { builder, registry }
    },
    async produce(events) {
      const { usage, billing, accounts } = toTopicMessages(events)
      await produceMessages(topicsOf.usage, usage)
      await produceMessages(topicsOf.billing, billing)
      if (accounts.length > 0) await produceMessages(topicsOf.accounts, accounts)
    },
    async waitForOffsets(messages, timeoutMs = 60_000) {
      const caughtUp = async () => {
        if ((await foldedOffsets()) < messages) return false
        const { rows } = await db.pool.query<{ topic: string; partition: number; next_offset: string }>(
          'SELECT topic, partition, next_offset FROM consumer_offsets WHERE group_id = $1',
          [groupId],
        )
        const stored = new Map(rows.map((r) => [`${r.topic}/${r.partition}`, BigInt(r.next_offset)]))
        for (const topic of [topicsOf.usage, topicsOf.billing, topicsOf.accounts]) {
          for (const [partition, end] of await fetchEndOffsets(kafka, topic)) {
            if (end > 0n && (stored.get(`${topic}/${partition}`) ?? 0n) < end) return false
          }
        }
        return true
      }
      await waitFor(caughtUp, { timeoutMs, intervalMs: 200, description: `${messages} messages folded up to every partition's end` })
    },
    foldedOffsets,
    digest: () => digestFeatureState(db.pool),
    async close() {
      for (const builder of running) await builder.stop()
      await db.drop()
    },
  }
}
