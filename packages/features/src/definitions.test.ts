import { describe, expect, it } from 'vitest'
import { ACTION_30D_FAMILY, BASE_FEATURES, describeFeature, FEATURE_REGISTRY, unsupportedFeatures } from './definitions.js'

const ALL_VALUES: Record<string, number> = Object.fromEntries(BASE_FEATURES.map((f) => [f.name, 123_456.789]))

describe('feature definitions', () => {
  it('names each base feature once, with a description', () => {
    const names = BASE_FEATURES.map((f) => f.name)
    expect(new Set(names).size).toBe(names.length)
    for (const f of BASE_FEATURES) expect(f.description.length).toBeGreaterThan(10)
  })

  it.each(BASE_FEATURES.map((f) => [f.name, f] as const))('%s reads as a sentence of at most 200 characters for any value', (_name, f) => {
    for (const value of [0, 1, 0.5, -3, 2_500_000.25]) {
      for (const others of [{}, ALL_VALUES]) {
        const sentence = f.sentence({ value, typical: 7.25, otherValue: (name) => others[name] })
        expect(sentence).toMatch(/^[-A-Z0-9']/)
        expect(sentence.length).toBeLessThanOrEqual(200)
        expect(sentence).not.toMatch(/undefined|NaN/)
      }
    }
  })

  it('resolves family members by prefix and reports the names no definition covers', () => {
    expect(describeFeature('action_30d:login')).toMatchObject({ name: 'action_30d:login', unit: 'events', heavyTailed: true })
    expect(ACTION_30D_FAMILY.define('api_call').sentence({ value: 1, typical: 3, otherValue: () => undefined })).toBe(
      "1 'api_call' event in the last 30 days, against 3 typically",
    )
    expect(unsupportedFeatures(['tenure_days', 'action_30d:', 'action_30d:x', 'gone'], FEATURE_REGISTRY)).toEqual(['action_30d:', 'gone'])
    expect(unsupportedFeatures(['tenure_days'], { base: [], families: [] })).toEqual(['tenure_days'])
  })
})
