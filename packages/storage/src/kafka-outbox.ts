import { withTransaction, type Pool, type PoolClient } from './pool.js'

/** A message waiting in the outbox for its topic. */
export interface KafkaOutboxMessage {
  key: string | null
  value: unknown
}

/** Adds messages for `topic` to the outbox inside the caller's transaction (one statement). */
export async function enqueueKafkaMessages(tx: PoolClient, topic: string, messages: readonly KafkaOutboxMessage[]): Promise<void> {
  if (messages.length === 0) return
  await tx.query(
    `INSERT INTO kafka_outbox (topic, key, value)
     SELECT $1, m->>'key', m->'value' FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(m, i)
     ORDER BY t.i`,
    [topic, JSON.stringify(messages.map((m) => ({ key: m.key, value: m.value })))],
  )
}

/**
 * Publishes the oldest outbox messages in order, then deletes them, and repeats until the outbox
 * is empty. Rows are locked while they are published (SKIP LOCKED), so relays in several processes
 * share the work; a crash between publish and delete publishes them again (at-least-once, same
 * values, hence the same event ids). Returns how many were relayed.
 */
export async function relayKafkaOutbox(
  pool: Pool,
  publish: (topic: string, messages: KafkaOutboxMessage[]) => Promise<void>,
  batchSize = 500,
): Promise<number> {
  let relayed = 0
  for (;;) {
    const count = await withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<{ id: string; topic: string; key: string | null; value: unknown }>(
        'SELECT id, topic, key, value FROM kafka_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [batchSize],
      )
      // Consecutive runs of one topic go out together, keeping the outbox order within each topic.
      let start = 0
      while (start < rows.length) {
        let end = start
        while (end < rows.length && rows[end]?.topic === rows[start]?.topic) end++
        const run = rows.slice(start, end)
        await publish(run[0]?.topic ?? '', run.map((r) => ({ key: r.key, value: r.value })))
        start = end
      }
      if (rows.length > 0) await tx.query('DELETE FROM kafka_outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)])
      return rows.length
    })
    relayed += count
    if (count < batchSize) return relayed
  }
}

/** A relay shared by everything in one process that commits outbox rows. */
export interface OutboxRelay {
  /** Relays what is in the outbox, including what the caller just committed; never rejects. */
  flush: () => Promise<void>
  /** Resolves when no relay runs. */
  idle: () => Promise<void>
}

/**
 * One relay at a time per process (one pooled connection, however many commits ask): a flush
 * while one runs makes it go round once more, so what the caller committed is published before
 * its promise resolves. A failure (broker away) is passed to `onError` and the rows stay for the
 * next flush.
 */
export function createOutboxRelay(
  pool: Pool,
  publish: (topic: string, messages: KafkaOutboxMessage[]) => Promise<void>,
  onError: (err: unknown) => void,
): OutboxRelay {
  let running: Promise<void> | undefined
  let again = false
  return {
    flush() {
      if (running) {
        again = true
        return running
      }
      running = (async () => {
        do {
          again = false
          await relayKafkaOutbox(pool, publish)
        } while (again)
      })()
        .catch(onError)
        .finally(() => {
          running = undefined
        })
      return running
    },
    idle: async () => {
      await running
    },
  }
}
