import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { stat } from 'node:fs/promises'
import { formatIssues } from '@churnwatch/contract'
import { backfillLines } from '@churnwatch/ingest'
import type { Pool } from '@churnwatch/storage'
import type { Output } from '../output.js'

/**
 * Loads an NDJSON file of events straight into PostgreSQL, bypassing Kafka (history imports).
 * The same fold as the feature builder; bad lines are reported with their issues.
 */
export async function backfill(file: string, deps: { db: () => Promise<Pool>; output: Output }): Promise<{ accepted: number; rejected: number }> {
  const pool = await deps.db()
  const { size } = await stat(file)
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  const progress = deps.output.progress('backfilling', size, 'bytes')
  let bytes = 0
  async function* counted() {
    for await (const line of lines) {
      bytes += Buffer.byteLength(line) + 1
      yield line
    }
  }
  const result = await backfillLines(pool, counted(), { onProgress: ({ accepted }) => progress.update(bytes, `${accepted} events`) })
  progress.update(size)
  progress.stop()
  for (const r of result.rejected.slice(0, 5)) deps.output.warn(`${file}:${r.line}: ${formatIssues(r.issues)}`)
  deps.output.info(
    `backfilled ${result.accepted} events (${result.duplicates} already stored, ${result.rejected.length} rejected lines)`,
  )
  return { accepted: result.accepted, rejected: result.rejected.length }
}
