export interface BackoffOptions {
  baseMs?: number
  factor?: number
  capMs?: number
}

export const DEFAULT_BACKOFF = { baseMs: 5_000, factor: 2, capMs: 60 * 60 * 1000 } as const satisfies Required<BackoffOptions>

/**
 * Delay before the next attempt after `attempt` failed attempts (1 = the first failure):
 * exponential backoff (base × factor^(attempt-1), capped) with full jitter, i.e. uniform in
 * [0, ceiling). `random` returns [0, 1) like Math.random; injected so the schedule is pure.
 */
export function nextAttemptDelayMs(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const { baseMs, factor, capMs } = { ...DEFAULT_BACKOFF, ...options }
  const exponent = Math.max(0, Math.floor(attempt) - 1)
  // Cap before multiplying out: factor^exponent overflows to Infinity long before attempts run out.
  const ceiling = Math.min(capMs, baseMs * Math.pow(factor, Math.min(exponent, 64)))
  const r = Math.min(Math.max(random(), 0), 1)
  return Math.floor(r * ceiling)
}

