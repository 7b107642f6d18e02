import { describe, expect, it } from 'vitest'
import { splitTrainingSet } from './split.js'
import { toTrainingSet } from './training-set.js'

describe('toTrainingSet', () => {
  it('packs rows row-major with labels and dense group indices', () => {
    const set = toTrainingSet(['a', 'b'], [[1, 2], [3, 4], [5, 6]], [0, 1, 0], ['acme', 'zeta', 'acme'])
    expect(set).toMatchObject({ n: 3, d: 2, featureNames: ['a', 'b'] })
    expect(Array.from(set.rows)).toEqual([1, 2, 3, 4, 5, 6])
    expect(Array.from(set.labels)).toEqual([0, 1, 0])
    expect(Array.from(set.groups ?? [])).toEqual([0, 1, 0])
  })

  it.each([
    ['a row of the wrong width', () => toTrainingSet(['a', 'b'], [[1]], [0])],
    ['a label that is not 0 or 1', () => toTrainingSet(['a'], [[1]], [2])],
    ['fewer labels than rows', () => toTrainingSet(['a'], [[1], [2]], [0])],
    ['a non-finite value', () => toTrainingSet(['a'], [[Number.NaN]], [0])],
    ['duplicate feature names', () => toTrainingSet(['a', 'a'], [[1, 2]], [0])],
  ])('rejects %s', (_, build) => {
    expect(build).toThrow(expect.objectContaining({ code: 'CW_MODEL_INVALID_TRAINING_SET' }))
  })
})

describe('splitTrainingSet', () => {
  it('keeps every row of a group in the same split', () => {
    const n = 400
    const rows = Array.from({ length: n }, (_, i) => [i])
    const labels = Array.from({ length: n }, (_, i) => i % 2)
    const customers = Array.from({ length: n }, (_, i) => `c${Math.floor(i / 8)}`)
    const set = toTrainingSet(['x'], rows, labels, customers)
    const split = splitTrainingSet(set, 0.2, 0.2, 7)
    const partOf = new Map<number, string>()
    for (const [name, part] of Object.entries(split)) {
      for (const row of part as Int32Array) {
        const group = set.groups?.[row] ?? -1
        expect(partOf.get(group) ?? name).toBe(name)
        partOf.set(group, name)
      }
    }
    // 50 groups: 10 validation, 10 calibration, 30 train, 8 rows each.
    expect([split.train.length, split.validation.length, split.calibration.length]).toEqual([240, 80, 80])
  })

  it('is the same for the same seed and different for another', () => {
    const set = toTrainingSet(['x'], Array.from({ length: 100 }, (_, i) => [i]), Array.from({ length: 100 }, () => 0))
    expect(splitTrainingSet(set, 0.3, 0, 1)).toEqual(splitTrainingSet(set, 0.3, 0, 1))
    expect(splitTrainingSet(set, 0.3, 0, 1).validation).not.toEqual(splitTrainingSet(set, 0.3, 0, 2).validation)
  })

  it('refuses a split that leaves a part empty', () => {
    const set = toTrainingSet(['x'], [[1], [2]], [0, 1])
    expect(() => splitTrainingSet(set, 0.2, 0, 1)).toThrow(expect.objectContaining({ code: 'CW_MODEL_INVALID_OPTIONS' }))
  })
})
