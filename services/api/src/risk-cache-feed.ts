import type { Logger } from '@churnwatch/observability'
import type { ScoreChangeFeed } from '@churnwatch/storage'
import { createRiskDocumentCache, type RiskDocumentCache } from './risk-cache.js'

/** Customers re-read per query when their cached documents are refreshed. */
const REREAD_BATCH = 50

/** Lets requests waiting on the event loop go first. */
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve))

export interface RiskCacheFollowing {
  cache: RiskDocumentCache
  /** Stops following and waits for a refresh under way (it reads the pool the caller closes next). */
  stop: () => Promise<void>
}

/**
 * A risk-document cache kept in step with the score-change feed: on while the feed listens,
 * cleared and off from the moment it is lost (reads go to the database), cleared again when it
 * listens anew, since changes in between were not seen.
 *
 * A changed customer's document is dropped; if it had been read since it was stored, it is read
 * again (`reread`, in batches, one at a time, serialised one document per turn of the event loop)
 * and stored under a ticket taken after the change. So documents in use stay in memory while the
 * scorer's sweep rewrites every score, and a further change during the re-read keeps its result out.
 */
export function followScoreChanges(
  feed: ScoreChangeFeed,
  options: { maxBytes: number; log: Logger; reread: (customerIds: readonly string[]) => Promise<Map<string, () => string>> },
): RiskCacheFollowing {
  const { log, reread } = options
  const cache = createRiskDocumentCache(options.maxBytes)
  const pending = new Set<string>()
  let draining: Promise<void> | undefined
  let stopped = false

  async function drain(): Promise<void> {
    while (pending.size > 0 && !stopped) {
      // The oldest first, without copying the whole set: it can hold every cached customer.
      const batch: string[] = []
      for (const id of pending) {
        batch.push(id)
        if (batch.length === REREAD_BATCH) break
      }
      for (const id of batch) pending.delete(id)
      const ticket = cache.ticket()
      try {
        // One document per turn of the event loop: a refresh runs beside requests, never ahead of them.
        for (const [id, document] of await reread(batch)) {
          cache.fill(id, document(), ticket)
          await yieldToRequests()
        }
      } catch (err) {
        // Nothing stale is kept: these customers are read from PostgreSQL on their next request.
        log.warn({ err, customers: batch.length }, 'risk-document refresh failed')
      }
    }
  }

  function refresh(customerIds: readonly string[]): void {
    if (customerIds.length === 0 || stopped) return
    for (const id of customerIds) pending.add(id)
    draining ??= drain().finally(() => {
      draining = undefined
    })
  }

  function reset(enabled: boolean): void {
    pending.clear()
    cache.reset(enabled)
  }

  reset(feed.listening)
  const unsubscribe = feed.subscribe({
    changed: (customerIds) => refresh(cache.invalidate(customerIds)),
    cleared: () => reset(true),
    listening: () => {
      reset(true)
      log.info('risk-document cache on: listening for score changes')
    },
    lost: (err) => {
      reset(false)
      log.warn({ err }, 'risk-document cache off until score changes are heard again')
    },
  })
  return {
    cache,
    stop: async () => {
      stopped = true
      unsubscribe()
      reset(false)
      await draining
    },
  }
}
