import { parseEvent, type ChurnEvent, type ValidationIssue } from '@churnwatch/contract'
import { withTransaction, type Pool } from '@churnwatch/storage'
import { foldEvents } from './fold-events.js'

export interface BackfillResult {
  accepted: number
  duplicates: number
  rejected: Array<{ line: number; issues: ValidationIssue[] }>
}

/**
 * Loads events straight into PostgreSQL without Kafka (history imports, demos, tests): each line
 * is validated with the contract, bad lines are reported with their issues, and good ones are
 * folded in transactions of `batchSize`. Idempotent: loading the same lines again adds nothing.
 */
export async function backfillLines(
  pool: Pool,
  lines: AsyncIterable<string> | Iterable<string>,
  options: { batchSize?: number; onProgress?: (done: { lines: number; accepted: number }) => void } = {},
): Promise<BackfillResult> {
  const batchSize = options.batchSize ?? 5_000
  const result: BackfillResult = { accepted: 0, duplicates: 0, rejected: [] }
  let batch: ChurnEvent[] = []
  let lineNumber = 0
  const flush = async () => {
    if (batch.length === 0) return
    const events = batch
    batch = []
    const { fresh } = await withTransaction(pool, (tx) => foldEvents(tx, events))
    result.accepted += fresh.length
    result.duplicates += events.length - fresh.length
    options.onProgress?.({ lines: lineNumber, accepted: result.accepted })
  }
  for await (const line of lines) {
    lineNumber += 1
    if (line.trim() === '') continue
    const parsed = parseEvent(line)
    if (!parsed.ok) {
      result.rejected.push({ line: lineNumber, issues: parsed.issues })
      continue
    }
    batch.push(parsed.event)
    if (batch.length >= batchSize) await flush()
  }
  await flush()
  return result
}
