import { readFileSync } from 'node:fs'
import { FEATURE_REGISTRY, type CustomerHistory, type FeatureRegistry } from '@churnwatch/features'
import { deserializeModel, type Driver } from '@churnwatch/model'
import { describe, expect, it } from 'vitest'
import { createActiveScorer, scoreHistories } from './score.js'

// Written by the code before models owned their feature schema (commit d4569ee): a GBDT and a
// logistic artifact, six customers' histories (the buckets scoring reads) and what that code scored.
interface LegacyFixture {
  asOf: string
  histories: CustomerHistory[]
  models: Array<{ artifact: string; expected: Array<{ customerId: string; probability: number; drivers: Driver[] }> }>
}
const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/legacy-model.json', import.meta.url), 'utf8')) as LegacyFixture
const BANDS = { high: 0.5, medium: 0.2, rearm: 0.35 }

describe('scoring a stored model', () => {
  it.each(fixture.models.map((m, i) => [i === 0 ? 'gbdt' : 'logistic', m] as const))(
    'scores a %s artifact stored before the feature schema change exactly as it was scored then',
    (_kind, stored) => {
      const model = deserializeModel(new TextEncoder().encode(stored.artifact))
      const { scored } = scoreHistories(createActiveScorer('legacy', model, BANDS), fixture.histories, fixture.asOf)
      // The code has gained features since (the renewal ones): vectors carry them, the model ignores them.
      expect(model.featureNames).not.toContain('days_to_renewal')
      expect(scored.every((s) => typeof s.vector.values.days_to_renewal === 'number')).toBe(true)
      expect(scored.map((s) => s.customerId)).toEqual(stored.expected.map((e) => e.customerId))
      scored.forEach((s, i) => {
        const expected = stored.expected[i]
        expect(s.probability).toBe(expected?.probability)
        // Same drivers, values and contributions; only the sentences read differently now.
        expect(s.drivers.map(({ feature, value, contribution }) => ({ feature, value, contribution }))).toEqual(
          expected?.drivers.map(({ feature, value, contribution }) => ({ feature, value, contribution })),
        )
      })
    },
  )

  it('refuses, before any scoring, a model that needs a feature the code no longer defines', () => {
    const model = deserializeModel(new TextEncoder().encode(fixture.models[0]?.artifact ?? ''))
    const withoutSeats: FeatureRegistry = { ...FEATURE_REGISTRY, base: FEATURE_REGISTRY.base.filter((f) => f.name !== 'seats' && f.name !== 'mrr') }
    expect(() => createActiveScorer('legacy', model, BANDS, withoutSeats)).toThrow(
      expect.objectContaining({ code: 'CW_MODEL_UNSUPPORTED_FEATURES', missing: ['seats', 'mrr'], message: expect.stringContaining('seats, mrr') }),
    )
  })
})
