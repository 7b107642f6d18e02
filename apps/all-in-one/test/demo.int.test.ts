import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, uniqueName, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

const DEMO = fileURLToPath(new URL('../dist/demo.js', import.meta.url))

describe('npm run demo -- --no-serve on a small population', { timeout: 300_000 }, () => {
  let db: TestDatabase
  let output = ''
  let code: number | null = null
  beforeAll(async () => {
    db = await createTestDatabase('cw_demo')
    const child = spawn(process.execPath, [DEMO, '--no-serve', '--customers', '250', '--months', '14', '--seed', '3'], {
      env: { ...process.env, DATABASE_URL: db.url, KAFKA_BROKERS: inject('kafkaBrokers').join(','), KAFKA_TOPIC_PREFIX: `${uniqueName('demo')}.`, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    code = await new Promise((resolve) => child.on('exit', resolve))
  }, 300_000)
  afterAll(() => db.drop())

  it('exits 0 after printing the model evaluation, the top at-risk customers, churn metrics and alerts', async () => {
    expect(code, output.slice(-2_000)).toBe(0)
    expect(output).toMatch(/model gbdt-\S+ \(gbdt\) — activated/)
    expect(output).toMatch(/ROC AUC\s+0\.\d{3}/)
    const top = output.slice(output.indexOf('top 20 at-risk customers'), output.indexOf('churn, last 6 months'))
    const rows = top.split('\n').filter((line) => /^ {2}c-\d{6}\s+0\.\d{3}\s+(low|medium|high)\s+\$[\d,]+\.\d{2}\s+\S/.test(line))
    expect(rows).toHaveLength(20)
    const probabilities = rows.map((line) => Number(line.trim().split(/\s+/)[1]))
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a))
    const months = output.slice(output.indexOf('churn, last 6 months')).split('\n').filter((line) => /^ {2}\d{4}-\d{2}\s/.test(line))
    expect(months).toHaveLength(6)
    expect(output).toContain('open alerts (GET /v1/alerts?status=open)')
    expect(output).toMatch(/API key {2}cw_[0-9a-f]{12}_\S+/)

    // The printed numbers are the stored ones: the top customer's probability matches the database.
    const topCustomer = rows[0]?.trim().split(/\s+/)[0] ?? ''
    const { rows: stored } = await db.pool.query<{ probability: number }>('SELECT probability FROM risk_scores WHERE customer_id = $1', [topCustomer])
    expect(stored[0]?.probability.toFixed(3)).toBe(rows[0]?.trim().split(/\s+/)[1])
  })
})
