import { describe, expect, it } from 'vitest'
import { jsonNestsDeeperThan } from './json-depth.js'

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings or after escapes', () => {
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[]}]}', 4)).toBe(false)
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[]}]}', 3)).toBe(true)
    expect(jsonNestsDeeperThan(JSON.stringify({ s: '[[[[[[{{{{{', t: 'a\\"[[[[' }), 1)).toBe(false)
    expect(jsonNestsDeeperThan('[[],[],[],[]]', 2)).toBe(false)
  })

  it('finds deep nesting anywhere in a large text without recursing', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`
    expect(jsonNestsDeeperThan(deep, 64)).toBe(true)
    expect(jsonNestsDeeperThan(`{"x":"${'y'.repeat(100_000)}","z":${'{"a":'.repeat(65)}1${'}'.repeat(65)}}`, 64)).toBe(true)
  })
})
