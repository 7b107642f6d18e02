import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { csvLine } from '@churnwatch/csv'
import { loadActiveScorer, scoreAllCustomersAt, type ScoredCustomer } from '@churnwatch/scoring'
import type { Pool } from '@churnwatch/storage'
import type { Output } from '../output.js'

export const SCORE_CSV_HEADER = ['customerId', 'probability', 'band', 'revenueAtRisk', 'driver1', 'driver2', 'driver3'] as const

/** Scores every customer active at asOf with the active model into a CSV file. */
export async function score(
  options: { asOf: string; out: string },
  deps: { db: () => Promise<Pool>; output: Output },
): Promise<{ scored: number }> {
  const pool = await deps.db()
  const scorer = await loadActiveScorer(pool)
  if (!scorer) throw new Error('no active model: train one with `churnwatch train --as-of T --activate`')
  const stream = createWriteStream(options.out)
  stream.write(csvLine(SCORE_CSV_HEADER))
  const progress = deps.output.progress('scoring', 0, 'customers')
  let done = 0
  const result = await scoreAllCustomersAt(pool, scorer, {
    asOf: options.asOf,
    onChunk: async (scored, inactive) => {
      for (const s of scored) if (!stream.write(toCsvRow(s))) await once(stream, 'drain')
      done += scored.length + inactive.length
      progress.update(done, `${scored.length} active in chunk`)
    },
  })
  progress.stop()
  stream.end()
  await once(stream, 'finish')
  deps.output.info(`scored ${result.scored} customers active at ${options.asOf} with model ${scorer.version} into ${options.out}`)
  return { scored: result.scored }
}

/**
 * One CSV line (the API's writer: RFC 4180, CRLF, formula-like text defused); money in minor units,
 * probability with 6 decimals, drivers as their sentences.
 */
export function toCsvRow(s: Pick<ScoredCustomer, 'customerId' | 'probability' | 'band' | 'revenueAtRisk' | 'drivers'>): string {
  return csvLine([s.customerId, s.probability.toFixed(6), s.band, s.revenueAtRisk, ...[0, 1, 2].map((i) => s.drivers[i]?.sentence ?? '')])
}
