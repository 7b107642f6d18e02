import type { Admin, Kafka } from 'kafkajs'
import { isRetriableKafkaError } from './publisher.js'

export interface TopicSpec {
  topic: string
  numPartitions: number
  /** Topic-level configs such as retention.ms or max.message.bytes. */
  configs?: Record<string, string>
}

/**
 * Creates the topics that do not exist yet (broker auto-creation is off) and leaves existing
 * ones alone, then waits until every partition of every topic has a leader. Returns the names
 * it created.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[], timeoutMs = 30_000): Promise<string[]> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const missing = specs.filter((s) => !existing.has(s.topic))
    if (missing.length > 0) {
      await admin.createTopics({
        // Waited for below: kafkajs's wait gives up on the first UNKNOWN_TOPIC_OR_PARTITION.
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor: 1,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      })
    }
    await waitForLeaders(admin, specs.map((s) => s.topic), timeoutMs)
    return missing.map((s) => s.topic)
  } finally {
    await admin.disconnect()
  }
}

// A KRaft broker answers metadata for a topic created a moment ago (by this process or by another
// service starting beside it) with UNKNOWN_TOPIC_OR_PARTITION until it has applied the record;
// that made a service starting next to another exit with "This server does not host this
// topic-partition".
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics })
      if (metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return
      if (Date.now() > deadline) throw new Error(`topics without a leader after ${timeoutMs} ms: ${topics.join(', ')}`)
    } catch (err) {
      if (!isRetriableKafkaError(err) || Date.now() > deadline) throw err
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The next offset to be written (high watermark) of each partition of a topic. */
export async function fetchEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]))
  } finally {
    await admin.disconnect()
  }
}
