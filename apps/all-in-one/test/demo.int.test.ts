import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { storedEventRange } from '@churnwatch/storage'
import { createTestDatabase, uniqueName, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

const DEMO = fileURLToPath(new URL('../dist/demo.js', import.meta.url))
const START = fileURLToPath(new URL('../dist/start.js', import.meta.url))

interface World {
  db: TestDatabase
  env: Record<string, string>
  /** The demo's TMPDIR: the simulated history must not outlive the run. */
  tmp: string
}

interface Run {
  code: number | null
  output: string
}

async function createWorld(name: string): Promise<World> {
  const db = await createTestDatabase(`cw_${name}`)
  const tmp = mkdtempSync(join(tmpdir(), `cw-${name}-tmp-`))
  // Different prefixes, default group names and ops ports: the all-in-one derives its groups from the prefix.
  const env = { DATABASE_URL: db.url, KAFKA_BROKERS: inject('kafkaBrokers').join(','), KAFKA_TOPIC_PREFIX: `${uniqueName(name)}.`, PORT: '0', TMPDIR: tmp }
  return { db, env, tmp }
}

function runDemo(world: World): Promise<Run> {
  const child = spawn(process.execPath, [DEMO, '--no-serve', '--customers', '250', '--months', '14', '--seed', '3'], {
    env: { ...process.env, ...world.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })))
}

// The demo trains --model auto: the version names the family it chose.
const modelVersion = (output: string) => /model ((?:gbdt|logistic)-\S+) \((?:gbdt|logistic), chosen by --model auto\)/.exec(output)?.[1]

describe('npm run demo -- --no-serve: two at once on one broker, again on the same database, then npm start', { timeout: 900_000 }, () => {
  let a: World
  let b: World
  let first: Run
  let other: Run
  beforeAll(async () => {
    a = await createWorld('demo_a')
    b = await createWorld('demo_b')
    ;[first, other] = await Promise.all([runDemo(a), runDemo(b)])
  }, 900_000)
  afterAll(async () => {
    await a.db.drop()
    await b.db.drop()
  })

  it('exits 0 after printing the model evaluation, the top at-risk customers, churn metrics and alerts', async () => {
    const output = first.output
    expect(first.code, output.slice(-2_000)).toBe(0)
    expect(output).toMatch(/model (gbdt|logistic)-\S+ \((gbdt|logistic), chosen by --model auto\) — activated/)
    expect(output).toContain('model selection (--model auto) on validation folds of the training rows only, never the holdout')
    expect(output).toMatch(/ROC AUC\s+0\.\d{3}/)
    const top = output.slice(output.indexOf('top 20 at-risk customers'), output.indexOf('churn, last 6 months'))
    const rows = top.split('\n').filter((line) => /^ {2}c-\d{6}\s+0\.\d{3}\s+(low|medium|high)\s+\$[\d,]+\.\d{2}\s+\S/.test(line))
    expect(rows).toHaveLength(20)
    const probabilities = rows.map((line) => Number(line.trim().split(/\s+/)[1]))
    expect(probabilities).toEqual([...probabilities].sort((x, y) => y - x))
    const months = output.slice(output.indexOf('churn, last 6 months')).split('\n').filter((line) => /^ {2}\d{4}-\d{2}\s/.test(line))
    expect(months).toHaveLength(6)
    expect(output).toContain('open alerts (GET /v1/alerts?status=open)')
    expect(output).toMatch(/API key {2}cw_[0-9a-f]{12}_\S+/)

    // The printed numbers are the stored ones: the top customer's probability matches the database.
    const topCustomer = rows[0]?.trim().split(/\s+/)[0] ?? ''
    const { rows: stored } = await a.db.pool.query<{ probability: number }>('SELECT probability FROM risk_scores WHERE customer_id = $1', [topCustomer])
    expect(stored[0]?.probability.toFixed(3)).toBe(rows[0]?.trim().split(/\s+/)[1])
  })

  it('runs beside another all-in-one on the same broker (another prefix): both finish with the same result', async () => {
    expect(other.code, other.output.slice(-2_000)).toBe(0)
    expect(modelVersion(other.output)).toBe(modelVersion(first.output))
    const count = async (world: World) => (await world.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM risk_scores')).rows[0]?.n
    expect(await count(b)).toBe(await count(a))
  })

  it('leaves no simulated history behind', () => {
    expect(readdirSync(a.tmp)).toEqual([])
    expect(readdirSync(b.tmp)).toEqual([])
  })

  it('runs again on the same database: training gives the same model, which is reused', async () => {
    const again = await runDemo(a)
    expect(again.code, again.output.slice(-2_000)).toBe(0)
    expect(modelVersion(again.output)).toBe(modelVersion(first.output))
    expect(again.output).toContain('already registered')
    const { rows } = await a.db.pool.query<{ version: string; active: boolean }>('SELECT version, active FROM models')
    expect(rows).toEqual([{ version: modelVersion(first.output), active: true }])
    expect(readdirSync(a.tmp)).toEqual([])
  })

  it('npm start afterwards scores the demo history as of its end (the data clock), opens no new alerts, and stops on repeated SIGTERMs', async () => {
    const openAlerts = async () =>
      (await a.db.pool.query<{ kind: string; n: string }>("SELECT kind, count(*) AS n FROM alerts WHERE status = 'open' GROUP BY kind ORDER BY kind")).rows
    const before = await openAlerts()
    const end = (await storedEventRange(a.db.pool))?.last.toISOString()

    const child = spawn(process.execPath, [START], {
      env: { ...process.env, ...a.env, LOG_LEVEL: 'info', SWEEP_INTERVAL_MS: '1000', FEATURE_BUILDER_HTTP_PORT: '0', SCORER_HTTP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const records: Array<{ msg?: string; asOf?: string; alertChanges?: number; scored?: number }> = []
    const lines: string[] = []
    const waiters: Array<() => void> = []
    let buffered = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      for (const line of parts) {
        if (!line.startsWith('{')) continue
        lines.push(line)
        records.push(JSON.parse(line) as (typeof records)[number])
      }
      for (const wake of waiters.splice(0)) wake()
    })
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code)
        for (const wake of waiters.splice(0)) wake()
      }),
    )
    const logged = async (msg: string) => {
      while (!records.some((r) => r.msg === msg)) {
        if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${stderr}`)
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
      return records.find((r) => r.msg === msg)
    }

    const sweep = await logged('sweep done')
    expect(sweep?.asOf).toBe(end)
    expect(sweep?.scored).toBeGreaterThan(0)
    expect(sweep?.alertChanges).toBe(0)
    expect(await openAlerts()).toEqual(before)
    await logged('partitions assigned')

    child.kill('SIGTERM')
    await logged('shutting down')
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    // Package loggers (the Kafka runner's) below a service's component logger once repeated the key.
    expect(lines.some((line) => line.includes('"component":"kafka-runner"'))).toBe(true)
    expect(lines.filter((line) => (line.match(/"component":/g) ?? []).length > 1)).toEqual([])
  })
})
