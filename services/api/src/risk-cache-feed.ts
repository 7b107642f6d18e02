import type { Logger } from '@churnwatch/observability'
import type { ScoreChangeFeed } from '@churnwatch/storage'
import { createRiskDocumentCache, type RiskDocumentCache } from './risk-cache.js'

/**
 * A risk-document cache kept in step with the score-change feed: on while the feed listens,
 * cleared and off from the moment it is lost (reads go to the database), cleared again when it
 * listens anew, since changes in between were not seen.
 */
export function followScoreChanges(feed: ScoreChangeFeed, maxBytes: number, log: Logger): { cache: RiskDocumentCache; stop: () => void } {
  const cache = createRiskDocumentCache(maxBytes)
  cache.reset(feed.listening)
  const unsubscribe = feed.subscribe({
    changed: (customerIds) => cache.invalidate(customerIds),
    cleared: () => cache.reset(true),
    listening: () => {
      cache.reset(true)
      log.info('risk-document cache on: listening for score changes')
    },
    lost: (err) => {
      cache.reset(false)
      log.warn({ err }, 'risk-document cache off until score changes are heard again')
    },
  })
  const stop = (): void => {
    unsubscribe()
    cache.reset(false)
  }
  return { cache, stop }
}
