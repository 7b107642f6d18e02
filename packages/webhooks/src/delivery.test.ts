import { createLogger } from '@churnwatch/observability'
import { describe, expect, it } from 'vitest'
import { createWebhookDispatcher } from './delivery.js'
import type { WebhookStore } from './index.js'

const unusedStore: WebhookStore = {
  claimDueMessages: () => Promise.reject(new Error('not used')),
  recordAttempt: () => Promise.reject(new Error('not used')),
  disableEndpoint: () => Promise.reject(new Error('not used')),
}

describe('createWebhookDispatcher', () => {
  it('refuses a lease that could end while a request is still in flight', () => {
    const log = createLogger({ service: 'test', level: 'silent' })
    expect(() => createWebhookDispatcher({ store: unusedStore, log, timeoutMs: 30_000, leaseMs: 30_000 })).toThrow(
      expect.objectContaining({ code: 'CW_WEBHOOKS_INVALID_OPTIONS' }),
    )
    expect(() => createWebhookDispatcher({ store: unusedStore, log, timeoutMs: 30_000 })).not.toThrow()
  })
})
