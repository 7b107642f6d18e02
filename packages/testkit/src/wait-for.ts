export interface WaitForOptions {
  timeoutMs?: number
  intervalMs?: number
  /** Says what was awaited, for the timeout error. */
  description?: string
}

/**
 * Polls `check` until it returns a truthy value (returned) or the time runs out.
 * Tests wait for conditions this way, never with sleeps.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const intervalMs = options.intervalMs ?? 100
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      const what = options.description ?? 'condition'
      throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms`, { cause: lastError })
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
