import { describe, expect, it } from 'vitest'
import { createRng, hash01, mixSeed } from './rng.js'

const draw = (seed: number, n: number): number[] => {
  const r = createRng(seed)
  return Array.from({ length: n }, () => r.next())
}

describe('createRng', () => {
  it('repeats the same sequence for the same seed and differs for another seed', () => {
    expect(draw(7, 50)).toEqual(draw(7, 50))
    expect(draw(7, 50)).not.toEqual(draw(8, 50))
  })

  it('draws uniforms in [0, 1) with a mean near 0.5', () => {
    const xs = draw(123, 20_000)
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 1)
  })

  it('draws integers within inclusive bounds, normals and poisson counts with the right means', () => {
    const r = createRng(99)
    const ints = Array.from({ length: 5000 }, () => r.int(3, 5))
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]))
    const normals = Array.from({ length: 20_000 }, () => r.normal())
    const mean = normals.reduce((a, b) => a + b, 0) / normals.length
    const variance = normals.reduce((a, b) => a + (b - mean) ** 2, 0) / normals.length
    expect(mean).toBeCloseTo(0, 1)
    expect(variance).toBeCloseTo(1, 1)
    const counts = Array.from({ length: 20_000 }, () => r.poisson(2.5))
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeCloseTo(2.5, 1)
  })
})

describe('mixSeed', () => {
  it('separates streams by every part, including the high word of large seeds', () => {
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1))
    expect(mixSeed(1)).not.toBe(mixSeed(1 + 2 ** 32))
    expect(hash01(5, 6)).toBe(hash01(5, 6))
  })
})
