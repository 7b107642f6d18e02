import { describe, expect, it } from 'vitest'
import { toTrainingSet } from './training-set.js'
import { featureMedians, fitTransforms, transformValue } from './transforms.js'

describe('fitTransforms', () => {
  // events_30d is heavy-tailed (log1p), active_days_30d is not, seats is constant below.
  const set = toTrainingSet(
    ['events_30d', 'active_days_30d', 'cancellation_requested'],
    [
      [0, 10, 1],
      [Math.E - 1, 20, 1],
      [1000, 30, 1],
    ],
    [0, 1, 0],
  )

  it('takes log1p of heavy-tailed features only, then standardises with training statistics', () => {
    const [events, activeDays] = fitTransforms(set, Int32Array.from([0, 1]))
    // events: log1p(0) = 0 and log1p(e - 1) = 1 -> mean 0.5, population std 0.5.
    expect(events).toEqual({ feature: 'events_30d', log1p: true, mean: 0.5, std: 0.5 })
    // active days 10 and 20 -> mean 15, std 5; row 2 (30) was not a training row.
    expect(activeDays).toEqual({ feature: 'active_days_30d', log1p: false, mean: 15, std: 5 })
    expect(transformValue(activeDays ?? fail(), 30)).toBe(3)
  })

  it('uses std 1 for a constant feature and maps missing values to the mean', () => {
    const flag = fitTransforms(set, Int32Array.from([0, 1, 2]))[2] ?? fail()
    expect(flag.std).toBe(1)
    expect(transformValue(flag, 1)).toBe(0)
    expect(transformValue(flag, Number.NaN)).toBe(0)
  })

  it('keeps a negative value finite and monotone with a signed log', () => {
    const events = fitTransforms(set, Int32Array.from([0, 1]))[0] ?? fail()
    expect(transformValue(events, -(Math.E - 1))).toBeCloseTo((-1 - 0.5) / 0.5, 12)
  })
})

describe('featureMedians', () => {
  it('is the middle training value, or the mean of the two middle ones', () => {
    const set = toTrainingSet(['a'], [[5], [1], [3], [100]], [0, 0, 1, 1])
    expect(Array.from(featureMedians(set, Int32Array.from([0, 1, 2])))).toEqual([3])
    expect(Array.from(featureMedians(set, Int32Array.from([0, 1, 2, 3])))).toEqual([4])
  })
})

function fail(): never {
  throw new Error('missing transform')
}
