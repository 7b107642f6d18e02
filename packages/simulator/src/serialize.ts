import type { CustomerTruth, SimEvent } from './types.js'

/** One JSON line per event, each ending in '\n' (NDJSON); lazy, so a stream of millions stays flat in memory. */
export function* toNdjsonLines(events: Iterable<SimEvent>): Generator<string, void, undefined> {
  for (const event of events) yield `${JSON.stringify(event)}\n`
}

/** Header of {@link truthToCsv}. */
export const TRUTH_CSV_HEADER = 'customerId,startedAt,endedAt,voluntary,monthStart,trueChurnProbability90d'

/**
 * Ground truth as CSV (header TRUTH_CSV_HEADER, '\n' line ends): one row per customer-month at
 * which the customer was active. A customer never active at a month start gets one row with empty
 * monthStart and probability, so every customer appears. endedAt/voluntary are the customer's final
 * state (empty while active); probabilities have 6 decimals.
 */
export function truthToCsv(truth: readonly CustomerTruth[]): string {
  const lines = [TRUTH_CSV_HEADER]
  for (const t of truth) {
    const prefix = `${t.customerId},${t.startedAt},${t.endedAt ?? ''},${t.voluntary === null ? '' : String(t.voluntary)}`
    if (t.monthly.length === 0) lines.push(`${prefix},,`)
    for (const m of t.monthly) lines.push(`${prefix},${m.monthStart},${m.trueChurnProbability90d.toFixed(6)}`)
  }
  return `${lines.join('\n')}\n`
}
