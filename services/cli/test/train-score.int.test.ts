import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChurnEvent } from '@churnwatch/contract'
import { historyFromEvents, isActiveAt, sortBilling } from '@churnwatch/features'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoredSelectionReport } from '@churnwatch/training'
import { runCli, type CliRunOptions } from './run-cli.js'

// Only DATABASE_URL is set: backfill, train, score and models never touch Kafka, so they must not ask
// for it. The CLI runs from a directory outside the repository, so no .infra/env.json fills in
// KAFKA_BROKERS either.
describe('churnwatch backfill, train, score and models with only DATABASE_URL', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-cli-train-'))
  const outside: CliRunOptions = { cwd: dir, without: ['KAFKA_BROKERS', 'KAFKA_TOPIC_PREFIX'] }
  let db: TestDatabase
  let env: Record<string, string>
  const asOf = '2026-02-01T00:00:00Z'
  let firstVersion = ''
  const run = (args: string[]) => runCli(args, env, outside)
  beforeAll(async () => {
    db = await createTestDatabase('cw_cli_train')
    env = { DATABASE_URL: db.url }
    const sim = await run(['simulate', '--customers', '250', '--months', '14', '--seed', '4', '--events-per-user-day', '0.25', '--out', dir])
    expect(sim.code).toBe(0)
  })
  afterAll(() => db.drop())

  it('backfills, trains with --activate, prints the evaluation and scores the active customers into a CSV', async () => {
    const loaded = await run(['backfill', join(dir, 'events.ndjson')])
    expect(loaded.code, loaded.stderr).toBe(0)
    expect(loaded.stderr).toMatch(/backfilled \d+ events \(0 already stored, 0 rejected lines\)/)

    const trained = await run(['train', '--as-of', asOf, '--model', 'gbdt', '--activate'])
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.stdout).toMatch(/model gbdt-2026-02-01-[0-9a-f]{8} \(gbdt\) — activated/)
    firstVersion = /model (gbdt-\S+) \(gbdt\)/.exec(trained.stdout)?.[1] ?? ''
    for (const metric of ['ROC AUC', 'PR AUC', 'Brier score', 'log loss', 'top-decile lift', 'calibration']) {
      expect(trained.stdout).toContain(metric)
    }
    // GBDT needs no tfjs backend, so no backend is named.
    expect(trained.stderr).not.toContain('tfjs backend')

    const out = join(dir, 'scores.csv')
    const scored = await run(['score', '--as-of', asOf, '--out', out])
    expect(scored.code, scored.stderr).toBe(0)
    const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\r\n')
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

  it('trains again on the same history: the same version is reused, stays active, and nothing new is stored', async () => {
    const before = await db.pool.query<{ version: string; created_at: Date }>('SELECT version, created_at FROM models ORDER BY version')
    const again = await run(['train', '--as-of', asOf, '--model', 'gbdt', '--activate'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`model ${firstVersion} (gbdt) — activated`)
    expect(again.stdout).toContain('already registered')
    const after = await db.pool.query<{ version: string; created_at: Date }>('SELECT version, created_at FROM models ORDER BY version')
    expect(after.rows).toEqual(before.rows)
  })

  it('lists model versions and activates an existing one; an unknown version is a clear error', async () => {
    const other = await run(['train', '--as-of', asOf, '--model', 'gbdt', '--seed', '2'])
    expect(other.code, other.stderr).toBe(0)
    const otherVersion = /model (gbdt-\S+) \(gbdt\)/.exec(other.stdout)?.[1] ?? ''
    expect(otherVersion).not.toBe(firstVersion)
    expect(other.stdout).not.toContain('activated')

    const listed = await run(['models', 'list'])
    expect(listed.code, listed.stderr).toBe(0)
    const table = listed.stdout.trim().split('\n').map((line) => line.split('\t'))
    expect(table[0]?.slice(0, 3)).toEqual(['version', 'kind', 'active'])
    expect(table.slice(1).map((r) => [r[0], r[2]]).sort()).toEqual([[firstVersion, 'yes'], [otherVersion, 'no']].sort())
    expect(table[0]?.slice(6)).toEqual(['holdoutRocAuc', 'holdoutPrAuc', 'holdoutLift'])
    const stored = await db.pool.query<{ metrics: { holdout: { rocAuc: number; prAuc: number; topDecileLift: number } } }>(
      'SELECT metrics FROM models WHERE version = $1',
      [firstVersion],
    )
    const holdout = stored.rows[0]?.metrics.holdout
    expect(table.find((r) => r[0] === firstVersion)?.slice(6)).toEqual([holdout?.rocAuc.toFixed(3), holdout?.prAuc.toFixed(3), holdout?.topDecileLift.toFixed(2)])

    const activated = await run(['models', 'activate', otherVersion])
    expect(activated.code, activated.stderr).toBe(0)
    expect(activated.stderr).toContain(`activated model ${otherVersion}`)
    const { rows } = await db.pool.query<{ version: string }>('SELECT version FROM models WHERE active')
    expect(rows.map((r) => r.version)).toEqual([otherVersion])

    const unknown = await run(['models', 'activate', 'gbdt-1999-01-01-00000000'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('unknown model version "gbdt-1999-01-01-00000000"')
    const still = await db.pool.query<{ version: string }>('SELECT version FROM models WHERE active')
    expect(still.rows.map((r) => r.version)).toEqual([otherVersion])
  })

  it('asks for KAFKA_BROKERS only where Kafka is used (produce)', async () => {
    const produced = await run(['produce', join(dir, 'events.ndjson')])
    expect(produced.code).toBe(1)
    expect(produced.stderr).toContain('KAFKA_BROKERS: is required')
    expect(produced.stderr).not.toContain('DATABASE_URL')
  })

  it('names a bad --model and a bad --as-of', async () => {
    const badModel = await run(['train', '--as-of', asOf, '--model', 'forest'])
    expect(badModel.code).not.toBe(0)
    expect(badModel.stderr).toContain('--model must be auto, logistic or gbdt, got "forest"')
    const badDate = await run(['score', '--as-of', 'yesterday', '--out', join(dir, 'x.csv')])
    expect(badDate.stderr).toContain('--as-of must be an ISO-8601 date or instant')
  })

  it('trains with --model auto by default: prints the candidates, the choice and why, and stores the selection report', async () => {
    const trained = await run(['train', '--as-of', asOf])
    expect(trained.code, trained.stderr).toBe(0)
    const header = /model ((gbdt|logistic)-2026-02-01-[0-9a-f]{8}) \((gbdt|logistic), chosen by --model auto\)/.exec(trained.stdout)
    expect(header?.[2]).toBe(header?.[3])
    const stored = await db.pool.query<{ kind: string; training: { requestedKind: string; selection: StoredSelectionReport } }>(
      'SELECT kind, training FROM models WHERE version = $1',
      [header?.[1]],
    )
    const record = stored.rows[0]
    expect(record?.kind).toBe(header?.[2])
    expect(record?.training.requestedKind).toBe('auto')
    const selection = record?.training.selection
    if (!selection) throw new Error('no selection report stored')
    expect(selection.chosen.candidate.kind).toBe(record?.kind)
    expect(selection.candidates.length).toBe(6)

    expect(trained.stdout).toContain('model selection (--model auto) on validation folds of the training rows only, never the holdout')
    expect(trained.stdout).toContain(`  ${selection.strategyNote}: `)
    expect(trained.stdout).toContain('candidate')
    expect(trained.stdout).toMatch(/rounds {2}log loss {2}PR AUC {2}ROC AUC {2}lift/)
    // The starred row is the chosen candidate with its stored fold means, as rounded for print.
    const starred = trained.stdout.split('\n').filter((line) => line.startsWith('  * '))
    expect(starred).toHaveLength(1)
    const chosen = selection.candidates.find((c) => c.name === selection.chosen.name)
    const cells = starred[0]?.slice(4 + selection.chosen.name.length).trim().split(/ +/)
    expect(cells).toEqual([
      String(selection.chosen.rounds),
      chosen?.mean.logLoss.toFixed(4),
      chosen?.mean.prAuc?.toFixed(3),
      chosen?.mean.rocAuc?.toFixed(3),
      chosen?.mean.topDecileLift?.toFixed(2),
    ])
    expect(trained.stdout).toContain(`  why: ${selection.reason}`)
    expect(trained.stderr).toMatch(/selecting: \d+ fits/)
  })
})
