import { describe, expect, it } from 'vitest'
import { waitFor } from './wait-for.js'

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let calls = 0
    const value = await waitFor(() => (++calls >= 3 ? calls : 0), { intervalMs: 1 })
    expect(value).toBe(3)
  })

  it('fails with the description and the last error when time runs out', async () => {
    const attempt = waitFor(
      () => {
        throw new Error('not yet')
      },
      { timeoutMs: 20, intervalMs: 5, description: 'three rows' },
    )
    await expect(attempt).rejects.toThrow('waitFor: three rows not met within 20 ms')
  })
})
