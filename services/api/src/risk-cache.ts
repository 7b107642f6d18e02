/** Taken before a database read; `fill` refuses the result if the customer changed after it. */
export interface CacheTicket {
  readonly generation: number
  readonly seq: number
}

export interface RiskDocumentCache {
  /** The serialized risk document of a customer, or undefined (also whenever the cache is off). */
  get: (customerId: string) => string | undefined
  /** Call before reading the score that `fill` will store. */
  ticket: () => CacheTicket
  /** Stores a document read after `ticket`; false (nothing stored) when an invalidation may have overtaken the read. */
  fill: (customerId: string, document: string, ticket: CacheTicket) => boolean
  /**
   * These customers' scores changed: forget them, and refuse fills from reads already under way.
   * Returns those whose forgotten document had been read since it was stored: worth reading again.
   */
  invalidate: (customerIds: readonly string[]) => string[]
  /** Forgets everything and refuses every fill from earlier tickets; `enabled` says whether to cache from now on. */
  reset: (enabled: boolean) => void
  readonly enabled: boolean
  readonly entries: number
  /** Characters held (documents and ids): about the bytes, as the documents are ASCII JSON. */
  readonly size: number
}

/** Invalidated ids remembered for racing reads; beyond this, older tickets are all refused instead. */
const MAX_TRACKED_INVALIDATIONS = 100_000

/**
 * The risk route's documents by customer, evicted beyond `maxSize` characters by second chance (an
 * approximation of least recently used: a hit only sets a flag, so reads never reorder the map).
 * It is only as fresh as its invalidations: the caller enables it while a change feed listens and
 * resets it (off) when the feed is lost. A read racing a change is handled by tickets: every
 * invalidation gets a sequence number, and a document read under an older ticket is not stored.
 * Pure: no I/O, no clocks.
 */
export function createRiskDocumentCache(maxSize: number): RiskDocumentCache {
  // Insertion order is the eviction queue; `used` marks a hit since the entry was last queued,
  // `read` a hit since it was stored.
  const documents = new Map<string, { document: string; used: boolean; read: boolean }>()
  const invalidatedAt = new Map<string, number>()
  let size = 0
  let enabled = false
  let generation = 0
  let seq = 0
  // Tickets older than this were issued before invalidations that are no longer tracked.
  let oldestTrustedSeq = 0

  /** Forgets a customer's document; true when it had been read since it was stored. */
  function remove(customerId: string): boolean {
    const entry = documents.get(customerId)
    if (entry === undefined) return false
    documents.delete(customerId)
    size -= entry.document.length + customerId.length
    return entry.read
  }

  /** Evicts from the oldest end; an entry read since it was queued is queued again instead, once. */
  function evict(): void {
    for (const [customerId, entry] of documents) {
      if (size <= maxSize) return
      if (entry.used) {
        entry.used = false
        documents.delete(customerId)
        documents.set(customerId, entry)
      } else remove(customerId)
    }
  }

  return {
    get(customerId) {
      if (!enabled) return undefined
      const entry = documents.get(customerId)
      if (entry === undefined) return undefined
      entry.used = true
      entry.read = true
      return entry.document
    },
    ticket() {
      return { generation, seq }
    },
    fill(customerId, document, ticket) {
      if (!enabled || ticket.generation !== generation || ticket.seq < oldestTrustedSeq) return false
      if ((invalidatedAt.get(customerId) ?? -1) > ticket.seq) return false
      const cost = document.length + customerId.length
      if (cost > maxSize) return false
      remove(customerId)
      documents.set(customerId, { document, used: false, read: false })
      size += cost
      evict()
      return true
    },
    invalidate(customerIds) {
      seq++
      if (invalidatedAt.size + customerIds.length > MAX_TRACKED_INVALIDATIONS) {
        invalidatedAt.clear()
        oldestTrustedSeq = seq
      }
      const wanted: string[] = []
      for (const id of customerIds) {
        if (remove(id)) wanted.push(id)
        invalidatedAt.set(id, seq)
      }
      return wanted
    },
    reset(on) {
      documents.clear()
      invalidatedAt.clear()
      size = 0
      generation++
      enabled = on && maxSize > 0
    },
    get enabled() {
      return enabled
    },
    get entries() {
      return documents.size
    },
    get size() {
      return size
    },
  }
}
