import { Kafka, logLevel } from 'kafkajs'
import pg from 'pg'

/** Throws with a clear message unless a Kafka broker answers metadata requests. */
export async function checkKafka(brokers: string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'churnwatch-testkit',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin()
  try {
    await admin.connect()
    await admin.describeCluster()
  } catch (err) {
    throw new Error(`Kafka at ${brokers.join(',')} does not answer: ${String(err)}`, { cause: err })
  } finally {
    await admin.disconnect()
  }
}

/** Throws with a clear message unless PostgreSQL answers `select 1`. */
export async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  try {
    await client.connect()
    await client.query('select 1')
  } catch (err) {
    throw new Error(`PostgreSQL at ${redactUrl(url)} does not answer: ${String(err)}`, { cause: err })
  } finally {
    await client.end().catch(() => undefined)
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}
