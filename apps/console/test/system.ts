// The real system for the browser tests: a fresh PostgreSQL database, real Kafka topics, the real API
// listening on 127.0.0.1 over HTTP and serving the built console, and Debian's Chromium.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { apiTopics, buildApp, type ApiApp } from '@churnwatch/api'
import { TOPIC_SPECS } from '@churnwatch/contract'
import { createKafka, createPublisher, ensureTopics, type Publisher } from '@churnwatch/kafka'
import { createLogger, createMetricsRegistry } from '@churnwatch/observability'
import { createApiKey, createOutboxRelay, migrate, type Pool } from '@churnwatch/storage'
import { createTestDatabase, uniqueName, type TestDatabase } from '@churnwatch/testkit'
import { chromium, type Browser } from 'playwright-core'
import { inject } from 'vitest'

export const CONSOLE_DIST = fileURLToPath(new URL('../dist', import.meta.url))
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Flags for a quiet, offline, throw-away browser (playwright adds --headless and a fresh profile). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]

export interface TestSystem {
  baseUrl: string
  pool: Pool
  keys: { read: string; admin: string }
  browser: Browser
  /** Moves the API's clock (session expiry, acknowledgement times). */
  setNow: (iso: string) => void
  close: () => Promise<void>
}

export async function startSystem(name: string, now: string): Promise<TestSystem> {
  // Loud, never a skip: CI installs Debian's chromium (.ci/run), and a missing browser fails the suite.
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`)
  if (!existsSync(join(CONSOLE_DIST, 'index.html'))) throw new Error(`no built console in ${CONSOLE_DIST}: run the build first (turbo runs it before test:int)`)
  const db: TestDatabase = await createTestDatabase(`cw_console_${name}`)
  await migrate(db.pool)
  const log = createLogger({ service: 'console-e2e', level: 'warn' })
  const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('console_e2e'), log })
  const topics = apiTopics(`${uniqueName(name)}.`)
  await ensureTopics(kafka, [
    { topic: topics.usage, numPartitions: TOPIC_SPECS.usage.numPartitions },
    { topic: topics.billing, numPartitions: TOPIC_SPECS.billing.numPartitions },
    { topic: topics.accounts, numPartitions: TOPIC_SPECS.accounts.numPartitions },
    { topic: topics.alerts, numPartitions: TOPIC_SPECS.alerts.numPartitions },
  ])
  const publisher: Publisher = createPublisher(kafka)
  await publisher.connect()
  const outbox = createOutboxRelay(db.pool, (topic, messages) => publisher.publish(topic, messages), (err) => log.warn({ err }, 'outbox relay failed'))
  let clock = new Date(now)
  const app: ApiApp = await buildApp({
    pool: db.pool,
    publisher,
    outbox,
    kafka,
    log,
    registry: createMetricsRegistry({ service: 'api', defaultMetrics: false }),
    topics,
    now: () => clock,
    options: { consoleDir: CONSOLE_DIST, sessionSecret: 'e2e-session-secret-'.padEnd(40, 'x'), sessionTtlMs: 48 * 3_600_000, probeCacheMs: 0 },
  })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const keys = {
    read: (await createApiKey(db.pool, { name: 'cs-reader', scopes: ['read'] })).key,
    admin: (await createApiKey(db.pool, { name: 'cs-lead', scopes: ['admin'] })).key,
  }
  const profiles = mkdtempSync(join(tmpdir(), 'cw-chromium-'))
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, downloadsPath: profiles })
  return {
    baseUrl: address,
    pool: db.pool,
    keys,
    browser,
    setNow: (iso) => {
      clock = new Date(iso)
    },
    close: async () => {
      await browser.close()
      rmSync(profiles, { recursive: true, force: true })
      await app.close()
      await publisher.disconnect()
      await outbox.idle()
      await db.drop()
    },
  }
}
