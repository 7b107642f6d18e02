import { Writable } from 'node:stream'
import { backfillLines } from '@churnwatch/ingest'
import { createLogger } from '@churnwatch/observability'
import { simulateBusiness } from '@churnwatch/simulator'
import { getModel, migrate } from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTrainer } from '../src/trainer.js'

describe('the training job', { timeout: 300_000 }, () => {
  const simulation = simulateBusiness({ customers: 300, months: 14, seed: 12, eventsPerActiveUserPerDay: 0.25 })
  const asOf = '2026-02-01T00:00:00Z'
  let db: TestDatabase
  const lines: Array<Record<string, unknown>> = []
  beforeAll(async () => {
    db = await createTestDatabase('cw_trainer')
    await migrate(db.pool)
    await backfillLines(db.pool, [...simulation.events()].map((e) => JSON.stringify(e)))
  }, 300_000)
  afterAll(() => db.drop())

  it('trains auto, logs what it selected and why, and the holdout ROC AUC with PR AUC and lift', async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
        done()
      },
    })
    const log = createLogger({ service: 'trainer-test', level: 'info', destination })
    const outcome = await createTrainer({ pool: db.pool, log }).run({ asOf, kind: 'auto', activate: true })
    const selection = outcome.selection
    if (selection === null) throw new Error('expected a selection report')

    const selected = lines.find((l) => l.msg === 'model selected')
    expect(selected).toMatchObject({ chosen: selection.chosen.name, rounds: selection.chosen.rounds, strategy: 'time', reason: selection.reason })
    expect(selected?.candidates).toHaveLength(selection.candidates.length)
    const trained = lines.find((l) => l.msg === 'model trained')
    expect(trained).toMatchObject({
      version: outcome.version,
      kind: selection.chosen.candidate.kind,
      requestedKind: 'auto',
      activated: true,
      rocAuc: outcome.holdout.rocAuc,
      prAuc: outcome.holdout.prAuc,
      topDecileLift: outcome.holdout.topDecileLift,
    })
    expect(lines.some((l) => l.msg === 'training progress' && l.phase === 'selecting')).toBe(true)
    const stored = await getModel(db.pool, outcome.version)
    expect(stored?.active).toBe(true)
    expect(stored?.kind).toBe(selection.chosen.candidate.kind)
  })
})
