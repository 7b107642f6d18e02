import { featuresChangedEvent, type ChurnEvent, type FeaturesChangedEvent } from '@churnwatch/contract'
import { foldEvents, type CustomerTouch } from '@churnwatch/ingest'
import type { PartitionBatch, Publisher } from '@churnwatch/kafka'
import type { Counter, Logger } from '@churnwatch/observability'
import { lockPartitionOffset, savePartitionOffset, withTransaction, type Pool } from '@churnwatch/storage'

export interface FoldBatchDeps {
  pool: Pool
  publisher: Publisher
  groupId: string
  featuresChangedTopic: string
  log: Logger
  counters: { folded: Counter<'kind'>; duplicates: Counter }
  now?: () => Date
}

/**
 * Folds one partition batch into PostgreSQL in a single transaction: new events (repeated
 * eventIds skipped), daily buckets, billing history, customer state and the partition's next
 * offset. Customers that changed are announced after the commit, so the scorer never reads state
 * older than the announcement; a crash between commit and announcement is covered by its sweep.
 */
export function createFoldBatchHandler(deps: FoldBatchDeps): (batch: PartitionBatch<ChurnEvent>) => Promise<void> {
  const now = deps.now ?? (() => new Date())
  return async (batch) => {
    const folded = await withTransaction(deps.pool, async (tx) => {
      const ref = { groupId: deps.groupId, topic: batch.topic, partition: batch.partition }
      const stored = await lockPartitionOffset(tx, ref)
      // A batch below the stored position was folded already (crash after commit, rebalance, redelivery).
      if (stored !== null && batch.nextOffset <= stored) return undefined
      const pending =
        stored === null || batch.firstOffset >= stored ? batch.events : batch.events.filter((e) => BigInt(e.offset) >= stored)
      const result = await foldEvents(
        tx,
        pending.map((p) => p.event),
      )
      await savePartitionOffset(tx, ref, batch.nextOffset)
      return { result, pending: pending.length }
    })
    if (!folded) return
    const { result, pending } = folded
    deps.counters.duplicates.inc(pending - result.fresh.length)
    if (result.usage > 0) deps.counters.folded.inc({ kind: 'usage' }, result.usage)
    if (result.billing > 0) deps.counters.folded.inc({ kind: 'billing' }, result.billing)
    if (result.accounts > 0) deps.counters.folded.inc({ kind: 'account' }, result.accounts)
    // All of a batch's customers share one partition of the output topic (co-partitioning); the
    // publisher splits a large batch into requests the broker takes.
    await deps.publisher.publish(deps.featuresChangedTopic, announce(result.customers, batch, now()))
  }
}

function announce(customers: Map<string, CustomerTouch>, batch: PartitionBatch<ChurnEvent>, changedAt: Date) {
  const changed = changedAt.toISOString()
  const messages: Array<{ key: string; value: FeaturesChangedEvent }> = []
  for (const [customerId, t] of customers) {
    // Deterministic: a repeated announcement of the same batch carries the same eventId.
    const event = featuresChangedEvent(batch, { customerId, eventCount: t.events, maxOccurredAt: new Date(t.maxAt).toISOString(), changedAt: changed })
    messages.push({ key: customerId, value: event })
  }
  return messages
}
