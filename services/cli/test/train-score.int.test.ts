import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChurnEvent } from '@churnwatch/contract'
import { historyFromEvents, isActiveAt, sortBilling } from '@churnwatch/features'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { runCli } from './run-cli.js'

describe('churnwatch backfill, train and score', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-cli-train-'))
  let db: TestDatabase
  let env: Record<string, string>
  const asOf = '2026-02-01T00:00:00Z'
  beforeAll(async () => {
    db = await createTestDatabase('cw_cli_train')
    env = { DATABASE_URL: db.url, KAFKA_BROKERS: inject('kafkaBrokers').join(',') }
    const sim = await runCli(['simulate', '--customers', '250', '--months', '14', '--seed', '4', '--events-per-user-day', '0.25', '--out', dir])
    expect(sim.code).toBe(0)
  })
  afterAll(() => db.drop())

  it('backfills, trains with --activate, prints the evaluation and scores the active customers into a CSV', async () => {
    const loaded = await runCli(['backfill', join(dir, 'events.ndjson')], env)
    expect(loaded.stderr).toMatch(/backfilled \d+ events \(0 already stored, 0 rejected lines\)/)

    const trained = await runCli(['train', '--as-of', asOf, '--model', 'gbdt', '--activate'], env)
    expect(trained.code).toBe(0)
    expect(trained.stdout).toMatch(/model gbdt-2026-02-01-[0-9a-f]{8} \(gbdt\) — activated/)
    for (const metric of ['ROC AUC', 'PR AUC', 'Brier score', 'log loss', 'top-decile lift', 'calibration']) {
      expect(trained.stdout).toContain(metric)
    }

    const out = join(dir, 'scores.csv')
    const scored = await runCli(['score', '--as-of', asOf, '--out', out], env)
    expect(scored.code).toBe(0)
    const [header, ...rows] = readFileSync(out, 'utf8').trim().split('\n')
    expect(header).toBe('customerId,probability,band,revenueAtRisk,driver1,driver2,driver3')
    const events = readFileSync(join(dir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ChurnEvent)
    const ids = [...new Set(events.map((e) => e.customerId))]
    const active = ids.filter((id) => isActiveAt(sortBilling(historyFromEvents(id, events).billing), Date.parse(asOf)))
    expect(rows.map((r) => r.split(',')[0]).sort()).toEqual(active.sort())
    const first = rows[0]?.split(',') ?? []
    expect(Number(first[1])).toBeGreaterThanOrEqual(0)
    expect(['low', 'medium', 'high']).toContain(first[2])
    expect(Number.isInteger(Number(first[3]))).toBe(true)
  })

  it('names a bad --model and a bad --as-of', async () => {
    const badModel = await runCli(['train', '--as-of', asOf, '--model', 'forest'], env)
    expect(badModel.code).not.toBe(0)
    expect(badModel.stderr).toContain('--model must be logistic or gbdt, got "forest"')
    const badDate = await runCli(['score', '--as-of', 'yesterday', '--out', join(dir, 'x.csv')], env)
    expect(badDate.stderr).toContain('--as-of must be an ISO-8601 date or instant')
  })
})
