import { spawn } from 'node:child_process'
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '@churnwatch/config'
import { closeGracefully, createLogger } from '@churnwatch/observability'
import { createApiKey } from '@churnwatch/storage'
import { startAllInOne } from './all-in-one.js'
import { allInOneConfigSchema, readEnv } from './config.js'
import { printReport } from './report.js'

const CLI = fileURLToPath(new URL('../../../services/cli/bin/churnwatch.js', import.meta.url))

const { values: flags } = parseArgs({
  options: {
    'no-serve': { type: 'boolean', default: false },
    customers: { type: 'string', default: '5000' },
    months: { type: 'string', default: '18' },
    seed: { type: 'string', default: '42' },
    'events-per-user-day': { type: 'string', default: '0.2' },
    // A B2B business as most look: 40 % annual contracts deciding at renewal, segments and owners.
    'annual-share': { type: 'string', default: '0.4' },
  },
})

/**
 * `npm run demo`: simulate a business, produce it through Kafka, let the feature builder ingest it,
 * train and activate a model, score everyone, then print what a customer-success team would see
 * and keep serving the API (unless --no-serve).
 */
async function demo(): Promise<void> {
  // The demo replays history: the scorer's clock follows the data, one hour between sweeps.
  const environment = readEnv()
  const config = loadConfig(allInOneConfigSchema, {
    SWEEP_INTERVAL_MS: '3600000',
    LOG_LEVEL: 'warn',
    FEATURE_BUILDER_HTTP_PORT: '0',
    SCORER_HTTP_PORT: '0',
    ...environment,
    SCORER_CLOCK: 'data',
  })
  const log = createLogger({ service: 'churnwatch-demo', level: config.LOG_LEVEL })
  const env = {
    ...environment,
    DATABASE_URL: config.DATABASE_URL,
    KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: config.KAFKA_TOPIC_PREFIX,
    // `produce --wait` waits for this process's feature builder.
    FEATURE_BUILDER_GROUP_ID: config.FEATURE_BUILDER_GROUP_ID,
  }
  const say = (line: string) => process.stdout.write(`${line}\n`)

  say('churnwatch demo: starting the feature builder, scorer, webhook delivery and API in this process')
  const system = await startAllInOne(config, log, { modelPollIntervalMs: 3_600_000 })
  const started = Date.now()
  // The simulated history (~180 MB at the defaults) is only needed until the broker has it.
  const dir = mkdtempSync(join(tmpdir(), 'churnwatch-demo-'))
  let asOf: string
  try {
    await runCli(['simulate', '--customers', flags.customers, '--months', flags.months, '--seed', flags.seed, '--events-per-user-day', flags['events-per-user-day'], '--annual-share', flags['annual-share'], '--accounts', '--out', dir], env)
    await runCli(['produce', join(dir, 'events.ndjson'), '--wait'], env)
    asOf = lastEventTime(join(dir, 'events.ndjson'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  // Training (auto: the family and settings chosen on validation folds) is deterministic: a second
  // demo on the same database trains the same model and reuses it.
  await runCli(['train', '--as-of', asOf, '--model', 'auto', '--activate'], env)

  say('scoring every active customer as of the end of the history')
  await system.scorer.reloadModel()
  await system.scorer.sweep(asOf)
  const key = await createApiKey(system.pool, { name: 'demo', scopes: ['admin'] })
  await printReport({ url: system.url, key: key.key, asOf, say })
  say(`\nfinished in ${Math.round((Date.now() - started) / 1000)} s`)
  say(`API      ${system.url}/v1/customers?sort=revenueAtRisk&limit=20`)
  say(`docs     ${system.url}/docs`)
  if (system.consoleUrl) say(`console  ${system.consoleUrl}   (sign in with the API key below)`)
  say(`API key  ${key.key}   (curl -H "Authorization: Bearer ${key.key}" ${system.url}/v1/alerts)`)

  if (flags['no-serve']) {
    await system.stop()
    return
  }
  say('\nserving until Ctrl-C')
  closeGracefully({ log }, async () => {
    await system.stop()
  })
}

function runCli(args: string[], env: Record<string, string | undefined>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`churnwatch ${args[0]} exited with ${code}`))))
  })
}

// Events are ordered by occurredAt: the last line holds the end of the history (read the tail only).
function lastEventTime(file: string): string {
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    const tail = Buffer.alloc(Math.min(size, 65_536))
    readSync(fd, tail, 0, tail.length, size - tail.length)
    const text = tail.toString('utf8').trimEnd()
    const last = JSON.parse(text.slice(text.lastIndexOf('\n') + 1)) as { occurredAt: string }
    return new Date(Date.parse(last.occurredAt)).toISOString()
  } finally {
    closeSync(fd)
  }
}

demo().then(
  () => undefined,
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
