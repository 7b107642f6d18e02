import type { PoolClient, Queryable } from './pool.js'

export interface PartitionRef {
  groupId: string
  topic: string
  partition: number
}

/**
 * Locks the stored position of one partition for the rest of the transaction and returns the
 * first offset not yet folded (null when nothing was ever stored). Locking fences a previous
 * owner of the partition after a rebalance: its late batch sees the newer position and skips.
 */
export async function lockPartitionOffset(db: PoolClient, ref: PartitionRef): Promise<bigint | null> {
  await db.query(
    `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, -1)
     ON CONFLICT DO NOTHING`,
    [ref.groupId, ref.topic, ref.partition],
  )
  const { rows } = await db.query<{ next_offset: number }>(
    `SELECT next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
    [ref.groupId, ref.topic, ref.partition],
  )
  const stored = rows[0]?.next_offset ?? -1
  return stored < 0 ? null : BigInt(stored)
}

/** Stores the first offset not yet folded; call in the same transaction as the state it covers. */
export async function savePartitionOffset(db: PoolClient, ref: PartitionRef, nextOffset: bigint): Promise<void> {
  await db.query(
    `UPDATE consumer_offsets SET next_offset = GREATEST(next_offset, $4::bigint), updated_at = now()
     WHERE group_id = $1 AND topic = $2 AND partition = $3`,
    [ref.groupId, ref.topic, ref.partition, nextOffset.toString()],
  )
}

/** Stored positions of a group's partitions on one topic: partition → next offset. */
export async function readPartitionOffsets(db: Queryable, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const { rows } = await db.query<{ partition: number; next_offset: number }>(
    `SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND next_offset >= 0`,
    [groupId, topic],
  )
  return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]))
}
