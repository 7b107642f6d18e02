import type { Kafka } from '@churnwatch/kafka'
import { readPartitionOffsets, type Pool } from '@churnwatch/storage'

// Operational probes shared by /readyz and /metrics. Each is bounded by a timeout and its result is
// reused for a few seconds, so frequent probes and scrapes do not multiply load on Kafka or PostgreSQL.

/** Rejects with a clear message when `work` takes longer than `ms` (the work itself keeps running). */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Memoises an async function for `ttlMs`; concurrent callers share one call in flight. */
export function cached<T>(load: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let value: { at: number; result: T } | undefined
  let inflight: Promise<T> | undefined
  return async () => {
    if (value && Date.now() - value.at < ttlMs) return value.result
    inflight ??= load()
      .then((result) => {
        value = { at: Date.now(), result }
        return result
      })
      .finally(() => {
        inflight = undefined
      })
    return inflight
  }
}

export interface PartitionLag {
  topic: string
  partition: number
  /** Messages written but not yet folded (high watermark minus the group's stored next offset). */
  lag: number
}

/**
 * High watermarks of the topics that exist (one admin connection). A topic not created yet has
 * had nothing written to it, so it is left out rather than retried until a timeout.
 */
async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const result = new Map<string, Map<number, bigint>>()
    for (const topic of topics) {
      if (!existing.has(topic)) continue
      const offsets = await admin.fetchTopicOffsets(topic)
      result.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])))
    }
    return result
  } finally {
    await admin.disconnect()
  }
}

/**
 * The feature builder's lag per partition. Its positions live in PostgreSQL (consumer_offsets,
 * written in the same transaction as the state they produced), so that is what is compared with
 * the brokers' high watermarks; a partition with no stored position counts in full.
 */
export async function consumerLag(kafka: Kafka, pool: Pool, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const ends = await endOffsets(kafka, topics)
  const lags: PartitionLag[] = []
  for (const [topic, partitions] of ends) {
    const positions = await readPartitionOffsets(pool, groupId, topic)
    for (const [partition, end] of partitions) {
      const position = positions.get(partition) ?? 0n
      lags.push({ topic, partition, lag: Number(end > position ? end - position : 0n) })
    }
  }
  return lags
}

/** Messages ever written to a topic (sum of high watermarks; 0 before it exists): the dead-letter count. */
export async function topicMessageCount(kafka: Kafka, topic: string): Promise<number> {
  let total = 0n
  for (const end of (await endOffsets(kafka, [topic])).get(topic)?.values() ?? []) total += end
  return Number(total)
}

/** Connects an admin client and asks the cluster who its brokers are. */
export async function pingKafka(kafka: Kafka): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return (await admin.describeCluster()).brokers.length
  } finally {
    await admin.disconnect()
  }
}
