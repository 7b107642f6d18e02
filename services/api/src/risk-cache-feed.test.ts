import { Writable } from 'node:stream'
import { createLogger } from '@churnwatch/observability'
import type { ScoreChangeFeed, ScoreChangeListener } from '@churnwatch/storage'
import { describe, expect, it } from 'vitest'
import { followScoreChanges } from './risk-cache-feed.js'

/** A feed driven by the test: what PostgreSQL notifications would deliver, in the order chosen. */
function scriptedFeed() {
  const listeners = new Set<ScoreChangeListener>()
  const feed: ScoreChangeFeed = {
    listening: true,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: async () => undefined,
  }
  const each = (f: (l: ScoreChangeListener) => void) => [...listeners].forEach(f)
  return {
    feed,
    changed: (ids: string[]) => each((l) => l.changed(ids)),
    lost: () => each((l) => l.lost(new Error('connection lost'))),
  }
}

/** Re-reads that stay open until the test settles them, recording what was asked. */
function heldRereads() {
  const calls: Array<{ ids: readonly string[]; settle: (documents: Map<string, string> | Error) => void }> = []
  const reread = (ids: readonly string[]) =>
    new Promise<Map<string, () => string>>((resolve, reject) => {
      calls.push({
        ids,
        settle: (documents) => (documents instanceof Error ? reject(documents) : resolve(new Map([...documents].map(([id, d]) => [id, () => d])))),
      })
    })
  return { calls, reread }
}

function quietLog() {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'))
      callback()
    },
  })
  return { log: createLogger({ service: 'test', destination }), lines }
}

/** Lets a settled re-read store its documents (one per turn of the event loop). */
const settled = async () => {
  for (let turn = 0; turn < 100; turn++) await new Promise((resolve) => setImmediate(resolve))
}

describe('following score changes', () => {
  it('re-reads a changed document that was in use and stores the new one; an unread one is only dropped', async () => {
    const script = scriptedFeed()
    const rereads = heldRereads()
    const { cache, stop } = followScoreChanges(script.feed, { maxBytes: 1_000, log: quietLog().log, reread: rereads.reread })
    cache.fill('hot', 'HOT 1', cache.ticket())
    cache.fill('cold', 'COLD 1', cache.ticket())
    cache.get('hot')
    script.changed(['hot', 'cold'])
    expect(cache.get('hot')).toBeUndefined()
    expect(rereads.calls.map((c) => c.ids)).toEqual([['hot']])
    rereads.calls[0]?.settle(new Map([['hot', 'HOT 2']]))
    await settled()
    expect(cache.get('hot')).toBe('HOT 2')
    expect(cache.get('cold')).toBeUndefined()
    await stop()
  })

  it('keeps a re-read out when the customer changed again while it ran, and reads one batch at a time', async () => {
    const script = scriptedFeed()
    const rereads = heldRereads()
    const { cache, stop } = followScoreChanges(script.feed, { maxBytes: 1_000, log: quietLog().log, reread: rereads.reread })
    for (const id of ['a', 'b']) {
      cache.fill(id, `${id} 1`, cache.ticket())
      cache.get(id)
    }
    script.changed(['a'])
    script.changed(['b'])
    // One re-read at a time: b waits for a's.
    expect(rereads.calls.map((c) => c.ids)).toEqual([['a']])
    script.changed(['a']) // a changes again while its re-read runs: that re-read may hold the old score
    rereads.calls[0]?.settle(new Map([['a', 'a 2 (old by now)']]))
    await settled()
    expect(cache.get('a')).toBeUndefined()
    expect(rereads.calls.map((c) => c.ids)).toEqual([['a'], ['b']])
    rereads.calls[1]?.settle(new Map([['b', 'b 2']]))
    await settled()
    expect(cache.get('b')).toBe('b 2')
    await stop()
  })

  it('re-reads many changed customers 50 per query, oldest first, each once', async () => {
    const script = scriptedFeed()
    const rereads = heldRereads()
    const { cache, stop } = followScoreChanges(script.feed, { maxBytes: 100_000, log: quietLog().log, reread: rereads.reread })
    const ids = Array.from({ length: 120 }, (_, i) => `c${i}`)
    for (const id of ids) {
      cache.fill(id, `${id} 1`, cache.ticket())
      cache.get(id)
    }
    script.changed(ids.slice(0, 70))
    script.changed(ids.slice(60)) // 60-69 twice: still read once
    for (let call = 0; call < 3; call++) {
      const current = rereads.calls[call]
      current?.settle(new Map(current.ids.map((id) => [id, `${id} 2`])))
      await settled()
    }
    expect(rereads.calls.map((c) => c.ids)).toEqual([ids.slice(0, 50), ids.slice(50, 100), ids.slice(100)])
    expect(ids.every((id) => cache.get(id) === `${id} 2`)).toBe(true)
    await stop()
  })

  it('logs a failed re-read and keeps nothing for those customers', async () => {
    const script = scriptedFeed()
    const rereads = heldRereads()
    const { log, lines } = quietLog()
    const { cache, stop } = followScoreChanges(script.feed, { maxBytes: 1_000, log, reread: rereads.reread })
    cache.fill('a', 'a 1', cache.ticket())
    cache.get('a')
    script.changed(['a'])
    rereads.calls[0]?.settle(new Error('connection refused'))
    await settled()
    expect(cache.get('a')).toBeUndefined()
    expect(lines.map((l) => JSON.parse(l) as { msg: string; customers?: number })).toContainEqual(
      expect.objectContaining({ msg: 'risk-document refresh failed', customers: 1 }),
    )
    await stop()
  })

  it('stores nothing from a re-read that the feed lost while it ran, and stop waits for it', async () => {
    const script = scriptedFeed()
    const rereads = heldRereads()
    const { cache, stop } = followScoreChanges(script.feed, { maxBytes: 1_000, log: quietLog().log, reread: rereads.reread })
    cache.fill('a', 'a 1', cache.ticket())
    cache.get('a')
    script.changed(['a'])
    script.lost()
    expect(cache.enabled).toBe(false)
    let stopped = false
    const stopping = stop().then(() => (stopped = true))
    await settled()
    expect(stopped).toBe(false)
    rereads.calls[0]?.settle(new Map([['a', 'a 2']]))
    await stopping
    expect(cache.entries).toBe(0)
  })
})
