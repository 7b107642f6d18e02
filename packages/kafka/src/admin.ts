import type { Admin } from 'kafkajs'
import type { KafkaClient } from './client.js'
import { kafkajsOf } from './handles.js'
import { isRetriableKafkaError } from './publisher.js'

export interface TopicSpec {
  topic: string
  numPartitions: number
  /** Topic-level configs such as retention.ms or max.message.bytes. */
  configs?: Record<string, string>
}

/** Runs `work` with a connected admin client and disconnects it afterwards, whatever happened. */
async function withAdmin<T>(client: KafkaClient, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkajsOf(client).admin()
  await admin.connect()
  try {
    return await work(admin)
  } finally {
    await admin.disconnect()
  }
}

/**
 * Creates the topics that do not exist yet (broker auto-creation is off) and leaves existing
 * ones alone, then waits until every partition of every topic has a leader. Returns the names
 * it created.
 */
export async function ensureTopics(client: KafkaClient, specs: readonly TopicSpec[], timeoutMs = 30_000): Promise<string[]> {
  return withAdmin(client, async (admin) => {
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
  })
}

// A KRaft broker answers metadata for a topic created a moment ago (by this process or by another
// service starting beside it) with UNKNOWN_TOPIC_OR_PARTITION until it has applied the record;
// that made a service starting next to another exit with "This server does not host this
// topic-partition". Even once metadata names a leader, the leader may not serve the partition yet
// (NOT_LEADER_OR_FOLLOWER on the first ListOffsets, seen in CI), so the wait ends only when every
// topic's offsets can be read.
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics })
      if (metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) {
        for (const topic of topics) await admin.fetchTopicOffsets(topic)
        return
      }
      if (Date.now() > deadline) throw new Error(`topics without a leader after ${timeoutMs} ms: ${topics.join(', ')}`)
    } catch (err) {
      if (!isRetriableKafkaError(err) || Date.now() > deadline) throw err
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The number of partitions of each topic; a topic that does not exist is left out. */
export async function fetchPartitionCounts(client: KafkaClient, topics: readonly string[]): Promise<Map<string, number>> {
  return withAdmin(client, async (admin) => {
    const existing = new Set(await admin.listTopics())
    const present = topics.filter((t) => existing.has(t))
    if (present.length === 0) return new Map<string, number>()
    const metadata = await admin.fetchTopicMetadata({ topics: present })
    return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]))
  })
}

async function readEndOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic)
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]))
}

/** The next offset to be written (high watermark) of each partition of a topic. */
export async function fetchEndOffsets(client: KafkaClient, topic: string): Promise<Map<number, bigint>> {
  return withAdmin(client, (admin) => readEndOffsets(admin, topic))
}

/**
 * The high watermarks of several topics over one admin connection. A topic not created yet has
 * had nothing written to it, so it is left out rather than retried until a timeout.
 */
export async function fetchEndOffsetsOfTopics(client: KafkaClient, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
  return withAdmin(client, async (admin) => {
    const existing = new Set(await admin.listTopics())
    const result = new Map<string, Map<number, bigint>>()
    for (const topic of topics) if (existing.has(topic)) result.set(topic, await readEndOffsets(admin, topic))
    return result
  })
}

/** Messages held by a topic (the sum of its high watermarks; 0 before it exists), e.g. the dead-letter count. */
export async function countTopicMessages(client: KafkaClient, topic: string): Promise<number> {
  let total = 0n
  for (const end of (await fetchEndOffsetsOfTopics(client, [topic])).get(topic)?.values() ?? []) total += end
  return Number(total)
}

/** The offsets a consumer group committed on a topic (partition → next offset); partitions it never committed are left out. */
export async function fetchCommittedOffsets(client: KafkaClient, groupId: string, topic: string): Promise<Map<number, bigint>> {
  return withAdmin(client, async (admin) => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
    // kafkajs reports a partition without a commit as offset -1.
    return new Map((committed?.partitions ?? []).filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, BigInt(p.offset)]))
  })
}

/** Connects and asks the cluster who its brokers are: resolves with how many answered metadata. */
export async function countBrokers(client: KafkaClient): Promise<number> {
  return withAdmin(client, async (admin) => (await admin.describeCluster()).brokers.length)
}

/** Deletes every topic whose name starts with `prefix` (a test's or a bench's own world); returns their names. */
export async function deleteTopicsWithPrefix(client: KafkaClient, prefix: string): Promise<string[]> {
  if (prefix === '') throw new TypeError('deleteTopicsWithPrefix needs a non-empty prefix')
  return withAdmin(client, async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
    return topics
  })
}
