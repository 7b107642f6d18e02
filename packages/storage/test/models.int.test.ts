import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateModel, getActiveModel, getModel, insertModel, listModels, migrate } from '../src/index.js'

describe('model registry against real PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('cw_models')
    await migrate(db.pool)
  })
  afterAll(() => db.drop())

  const model = (version: string, bytes: number[]) => ({
    version,
    kind: 'logistic',
    trainedAsOf: '2026-06-01T00:00:00Z',
    featureNames: ['tenure_days', 'events_30d'],
    training: { rows: 10 },
    metrics: { rocAuc: 0.8 },
    artifact: new Uint8Array(bytes),
  })

  it('stores versions, keeps exactly one active, and returns the active artifact byte for byte', async () => {
    expect(await insertModel(db.pool, model('v1', [1, 2, 3]))).toEqual({ created: true })
    expect(await insertModel(db.pool, model('v2', [0, 255, 7, 9]))).toEqual({ created: true })
    expect(await getActiveModel(db.pool)).toBeUndefined()

    expect(await activateModel(db.pool, 'v1')).toBe(true)
    expect(await activateModel(db.pool, 'v2')).toBe(true)
    expect(await activateModel(db.pool, 'nope')).toBe(false)

    const active = await getActiveModel(db.pool)
    expect(active?.version).toBe('v2')
    expect([...(active?.artifact ?? [])]).toEqual([0, 255, 7, 9])
    expect((await listModels(db.pool)).filter((m) => m.active).map((m) => m.version)).toEqual(['v2'])
    expect((await getModel(db.pool, 'v1'))?.metrics).toEqual({ rocAuc: 0.8 })
  })

  it('keeps the stored record when the same version comes again with the same bytes', async () => {
    const again = await insertModel(db.pool, { ...model('v1', [1, 2, 3]), metrics: { rocAuc: 0.1 } })
    expect(again).toEqual({ created: false })
    expect((await getModel(db.pool, 'v1'))?.metrics).toEqual({ rocAuc: 0.8 })
    expect((await listModels(db.pool)).map((m) => m.version).sort()).toEqual(['v1', 'v2'])
  })

  it('refuses the same version with other bytes with a clear error and stores nothing', async () => {
    await expect(insertModel(db.pool, model('v1', [9]))).rejects.toMatchObject({
      code: 'CW_STORAGE_MODEL_VERSION_CONFLICT',
      message: expect.stringMatching(/model version "v1" is already registered with a different artifact/) as unknown,
    })
    const { rows } = await db.pool.query<{ artifact: Buffer }>("SELECT artifact FROM models WHERE version = 'v1'")
    expect([...(rows[0]?.artifact ?? [])]).toEqual([1, 2, 3])
  })
})
