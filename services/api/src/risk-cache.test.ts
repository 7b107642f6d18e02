import { describe, expect, it } from 'vitest'
import { createRiskDocumentCache } from './risk-cache.js'

function enabledCache(maxSize = 1_000) {
  const cache = createRiskDocumentCache(maxSize)
  cache.reset(true)
  return cache
}

describe('risk-document cache', () => {
  it('serves what was filled, and nothing while off', () => {
    const cache = createRiskDocumentCache(1_000)
    expect(cache.fill('a', '{"p":1}', cache.ticket())).toBe(false)
    expect(cache.get('a')).toBeUndefined()
    cache.reset(true)
    expect(cache.fill('a', '{"p":1}', cache.ticket())).toBe(true)
    expect(cache.get('a')).toBe('{"p":1}')
    expect(cache.entries).toBe(1)
    expect(cache.size).toBe('{"p":1}'.length + 1)
    cache.reset(false)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.entries).toBe(0)
  })

  it('forgets an invalidated customer and keeps the others', () => {
    const cache = enabledCache()
    cache.fill('a', 'A', cache.ticket())
    cache.fill('b', 'B', cache.ticket())
    cache.invalidate(['a', 'unknown'])
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('b')).toBe('B')
    expect(cache.size).toBe(2)
  })

  it('refuses a document read before a change was heard (the read may hold the old score)', () => {
    const cache = enabledCache()
    const beforeChange = cache.ticket()
    cache.invalidate(['a'])
    expect(cache.fill('a', 'old', beforeChange)).toBe(false)
    expect(cache.get('a')).toBeUndefined()
    // Another customer's read is not affected, and a read after the change is stored.
    expect(cache.fill('b', 'B', beforeChange)).toBe(true)
    expect(cache.fill('a', 'new', cache.ticket())).toBe(true)
    expect(cache.get('a')).toBe('new')
  })

  it('refuses reads started before a reset, even once on again', () => {
    const cache = enabledCache()
    const before = cache.ticket()
    cache.reset(true)
    expect(cache.fill('a', 'A', before)).toBe(false)
  })

  it('refuses every older ticket once it stops tracking individual invalidations', () => {
    const cache = enabledCache()
    const before = cache.ticket()
    // More ids than it tracks: it can no longer tell which customers changed after `before`.
    cache.invalidate(Array.from({ length: 100_001 }, (_, i) => `c${i}`))
    expect(cache.fill('unrelated', 'U', before)).toBe(false)
    expect(cache.fill('unrelated', 'U', cache.ticket())).toBe(true)
  })

  it('evicts the least recently read documents beyond its size (a read earns a second chance)', () => {
    // Each entry costs its id (1) plus its document (9): three fit in 30.
    const cache = enabledCache(30)
    for (const id of ['a', 'b', 'c']) cache.fill(id, `${id}........`, cache.ticket())
    expect(cache.get('a')).toBe('a........') // a is now the most recently used
    cache.fill('d', 'd........', cache.ticket())
    expect(cache.get('b')).toBeUndefined()
    expect(['a', 'c', 'd'].map((id) => cache.get(id) !== undefined)).toEqual([true, true, true])
    expect(cache.size).toBe(30)
    // A document larger than the whole cache is not stored and evicts nothing.
    expect(cache.fill('e', 'x'.repeat(40), cache.ticket())).toBe(false)
    expect(cache.entries).toBe(3)
  })

  it('replaces a customer document without counting it twice', () => {
    const cache = enabledCache()
    cache.fill('a', 'first', cache.ticket())
    cache.fill('a', 'second!', cache.ticket())
    expect(cache.get('a')).toBe('second!')
    expect(cache.size).toBe('second!'.length + 1)
  })

  it('names, of the customers it forgets, those whose document was read since it was stored', () => {
    const cache = enabledCache()
    for (const id of ['hot', 'cold', 'refilled']) cache.fill(id, id.toUpperCase(), cache.ticket())
    cache.get('hot')
    cache.get('refilled')
    cache.fill('refilled', 'REFILLED 2', cache.ticket())
    expect(cache.invalidate(['hot', 'cold', 'refilled', 'unknown'])).toEqual(['hot'])
    expect(cache.entries).toBe(0)
    // A document stored again starts unread.
    cache.fill('hot', 'HOT 2', cache.ticket())
    expect(cache.invalidate(['hot'])).toEqual([])
  })

  it('is off for a size of 0', () => {
    const cache = createRiskDocumentCache(0)
    cache.reset(true)
    expect(cache.enabled).toBe(false)
  })
})
