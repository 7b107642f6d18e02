import { readScoresByIds, type Pool, type StoredScore } from '@churnwatch/storage'

export interface ScoreLoader {
  /** The current score of one customer, or undefined. */
  load: (customerId: string) => Promise<StoredScore | undefined>
}

interface Waiter {
  resolve: (score: StoredScore | undefined) => void
  reject: (err: unknown) => void
}

/**
 * Coalesces single-customer score reads that arrive in the same event-loop turn into one
 * `customer_id = ANY($1)` query (the DataLoader idea): under load, one round trip and one pool
 * connection serve many requests; alone, a read waits only for the current turn to end.
 */
export function createScoreLoader(pool: Pool, maxBatch = 256): ScoreLoader {
  let pending: Map<string, Waiter[]> | undefined

  function flush(batch: Map<string, Waiter[]>): void {
    readScoresByIds(pool, [...batch.keys()]).then(
      (scores) => {
        for (const [id, waiters] of batch) for (const w of waiters) w.resolve(scores.get(id))
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err)
      },
    )
  }

  return {
    load(customerId) {
      return new Promise((resolve, reject) => {
        if (!pending) {
          const batch = new Map<string, Waiter[]>()
          pending = batch
          setImmediate(() => {
            if (pending === batch) pending = undefined
            if (batch.size > 0) flush(batch)
          })
        }
        const batch = pending
        const waiters = batch.get(customerId)
        if (waiters) waiters.push({ resolve, reject })
        else batch.set(customerId, [{ resolve, reject }])
        if (batch.size >= maxBatch) {
          pending = undefined
          flush(new Map(batch))
          batch.clear()
        }
      })
    },
  }
}
