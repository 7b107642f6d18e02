/** A seeded PRNG (mulberry32) in [0, 1): the suite's random moments and inputs repeat run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** `count` sorted fractions spread over (from, to): one per stratum, so no two land together. */
export function spreadFractions(random: () => number, count: number, from: number, to: number): number[] {
  const width = (to - from) / count
  return Array.from({ length: count }, (_, i) => from + width * (i + random()))
}
