import { describe, expect, it } from 'vitest'
import { splitByBytes } from './batches.js'

const bytes = (s: string) => s.length

describe('splitByBytes', () => {
  it.each([
    ['nothing', [], 10, []],
    ['everything in one run when it fits exactly', ['aaaa', 'bbb', 'ccc'], 10, [['aaaa', 'bbb', 'ccc']]],
    ['a new run when the next item would pass the limit', ['aaaa', 'bbbb', 'ccc'], 10, [['aaaa', 'bbbb'], ['ccc']]],
    ['an oversized item alone, between its neighbours', ['aa', 'bbbbbbbbbbbb', 'cc'], 10, [['aa'], ['bbbbbbbbbbbb'], ['cc']]],
    ['an oversized first item alone', ['bbbbbbbbbbbb', 'cc', 'dd'], 10, [['bbbbbbbbbbbb'], ['cc', 'dd']]],
    ['one item per run when each takes the whole limit', ['aaaaa', 'bbbbb', 'ccccc'], 5, [['aaaaa'], ['bbbbb'], ['ccccc']]],
    ['zero-sized items together', ['', '', ''], 1, [['', '', '']]],
  ] as const)('%s', (_what, items, maxBytes, expected) => {
    expect(splitByBytes(items, bytes, maxBytes)).toEqual(expected)
  })

  it('keeps every item once and in order, with no run over the limit unless it holds one item', () => {
    const items = Array.from({ length: 500 }, (_, i) => 'x'.repeat((i * 37) % 101))
    const runs = splitByBytes(items, bytes, 300)
    expect(runs.flat()).toEqual(items)
    for (const run of runs) {
      const total = run.reduce((sum, item) => sum + item.length, 0)
      if (run.length > 1) expect(total).toBeLessThanOrEqual(300)
    }
    // Greedy: a run is closed only when the next item would not fit.
    for (let i = 0; i + 1 < runs.length; i += 1) {
      const total = (runs[i] ?? []).reduce((sum, item) => sum + item.length, 0)
      expect(total + (runs[i + 1]?.[0]?.length ?? 0)).toBeGreaterThan(300)
    }
  })

  it('refuses a limit that is not positive', () => {
    expect(() => splitByBytes(['a'], bytes, 0)).toThrow(RangeError)
  })
})
