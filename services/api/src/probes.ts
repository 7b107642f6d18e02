import { fetchEndOffsetsOfTopics, type KafkaClient } from '@churnwatch/kafka'
import { readPartitionOffsets, type Pool } from '@churnwatch/storage'

// Operational probes shared by /readyz and /metrics (the Kafka ones come from @churnwatch/kafka). Each
// is bounded by a timeout and its result is reused for a few seconds, so frequent probes and scrapes
// do not multiply load on Kafka or PostgreSQL.

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
 * The feature builder's lag per partition. Its positions live in PostgreSQL (consumer_offsets,
 * written in the same transaction as the state they produced), so that is what is compared with
 * the brokers' high watermarks; a partition with no stored position counts in full.
 */
export async function consumerLag(kafka: KafkaClient, pool: Pool, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  // A topic not created yet has had nothing written to it, so it is left out.
  const ends = await fetchEndOffsetsOfTopics(kafka, topics)
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
