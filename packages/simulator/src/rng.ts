/** A seeded pseudo-random source; every draw advances its own state only. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Integer uniform in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  /** Standard normal (Box-Muller, spare value cached). */
  normal(): number
  /** Poisson count with mean `lambda` (Knuth's method; fine for the small means used here). */
  poisson(lambda: number): number
}

/** Mixes integers into one 32-bit seed (murmur3 finaliser per part), so sub-streams are independent. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9
  for (const part of parts) {
    // The high word is mixed in too, so that seeds above 2^32 still differ.
    h = mixWord(mixWord(h, part >>> 0), Math.floor(part / 0x1_0000_0000) >>> 0)
  }
  return h >>> 0
}

function mixWord(h: number, word: number): number {
  h = Math.imul(h ^ word, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** Creates an sfc32 generator (Chris Doty-Humphrey's small fast counter) from a 32-bit seed. */
export function createRng(seed: number): Rng {
  let a = mixSeed(seed, 1)
  let b = mixSeed(seed, 2)
  let c = mixSeed(seed, 3)
  let d = 1
  let spare: number | null = null

  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 0x1_0000_0000
  }
  for (let i = 0; i < 15; i++) next()

  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    normal: () => {
      if (spare !== null) {
        const value = spare
        spare = null
        return value
      }
      const u = 1 - next()
      const v = next()
      const r = Math.sqrt(-2 * Math.log(u))
      spare = r * Math.sin(2 * Math.PI * v)
      return r * Math.cos(2 * Math.PI * v)
    },
    poisson: (lambda) => {
      if (lambda <= 0) return 0
      const limit = Math.exp(-lambda)
      let k = 0
      let p = next()
      while (p > limit) {
        k++
        p *= next()
      }
      return k
    },
  }
}

/** A stateless uniform in [0, 1) from integers: for fixed traits such as a user's affinity. */
export function hash01(...parts: number[]): number {
  return mixSeed(...parts) / 0x1_0000_0000
}
