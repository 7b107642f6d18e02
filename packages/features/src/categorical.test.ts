import type { ChurnEvent } from '@churnwatch/contract'
import { describe, expect, it } from 'vitest'
import { categoryColumns, categoryFamily, chooseCategoryFeatures, EMPLOYEES_FEATURE, normaliseCategory, type CategoryValues } from './categorical.js'
import { appendCategoryColumns } from './category-columns.js'
import { computeFeatures, toFeatureArray } from './compute.js'
import { describeFeature, unsupportedFeatures } from './definitions.js'
import { defineFeatureSet, featureSetOf } from './feature-set.js'
import { historyFromEvents } from './fold.js'
import type { AccountRecord, CustomerHistory } from './history.js'
import { trainingExamples } from './training.js'

const at = (iso: string) => Date.parse(iso)
const NONE: CategoryValues = { segment: null, plan: null, industry: null, country: null }

/** `n` rows of one customer each, with the given categories. */
function rows(n: number, categories: Partial<CategoryValues>, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({ customerId: `${prefix}-${i}`, categories: { ...NONE, ...categories } }))
}

function customer(accounts: AccountRecord[], plan = 'Pro'): CustomerHistory {
  return {
    customerId: 'acme',
    activity: [],
    users: [],
    billing: [{ eventId: 'b1', occurredAt: at('2025-12-01T00:00:00Z'), type: 'subscription_started', mrr: 4900, plan }],
    accounts,
  }
}

describe('normaliseCategory', () => {
  it.each([
    [' Mid  Market ', 'mid market'],
    ['ENTERPRISE', 'enterprise'],
    ['smb', 'smb'],
    ['\tDE\n', 'de'],
    ['   ', null],
    ['', null],
    [null, null],
    [undefined, null],
  ])('normalises %j to %j', (raw, normal) => {
    expect(normaliseCategory(raw)).toBe(normal)
  })
})

describe('chooseCategoryFeatures', () => {
  it('keeps frequent categories and groups rare ones', () => {
    // 1,000 customers: smb 600, mid market 300 (sent in two spellings), enterprise 60, partner 25
    // (under 30 rows), reseller 15; 'other' below 1% of customers even with 40 rows.
    const set = [
      ...rows(600, { segment: 'smb', plan: 'starter' }, 's'),
      ...rows(150, { segment: 'Mid Market', plan: 'pro' }, 'm1'),
      ...rows(150, { segment: ' mid  market', plan: 'pro' }, 'm2'),
      ...rows(60, { segment: 'enterprise', plan: 'pro' }, 'e'),
      ...rows(25, { segment: 'partner', plan: 'pro' }, 'p'),
      ...rows(15, { segment: 'reseller', plan: 'pro' }, 'r'),
      ...Array.from({ length: 40 }, (_, i) => ({ customerId: `o-${i % 5}`, categories: { ...NONE, segment: 'other', plan: 'pro' } })),
    ]
    // 1,005 customers: 1% is 10.05, so 'other' (5 customers, 40 rows) gets no column.
    expect(chooseCategoryFeatures(set)).toEqual(['segment=enterprise', 'segment=mid market', 'segment=smb', 'plan=pro', 'plan=starter'])
    // Lower thresholds (20 rows, 4.02 customers): partner (25 rows) and other (5 customers) come in; reseller (15 rows) stays out.
    expect(chooseCategoryFeatures(set, { minRows: 20, minCustomerShare: 0.004 })).toEqual([
      'segment=enterprise',
      'segment=mid market',
      'segment=other',
      'segment=partner',
      'segment=smb',
      'plan=pro',
      'plan=starter',
    ])
  })

  it('caps the columns per attribute: the most frequent, ties by name, listed by name', () => {
    const set = [...rows(100, { industry: 'retail' }, 'a'), ...rows(80, { industry: 'media' }, 'b'), ...rows(80, { industry: 'health' }, 'c'), ...rows(80, { industry: 'energy' }, 'd')]
    expect(chooseCategoryFeatures(set, { maxPerAttribute: 3 })).toEqual(['industry=energy', 'industry=health', 'industry=retail'])
  })

  it('gives no column to a category nearly every row has (nothing to learn on the other side)', () => {
    expect(chooseCategoryFeatures([...rows(500, { country: 'US' }, 'u'), ...rows(29, { country: 'DE' }, 'd')])).toEqual([])
    expect(chooseCategoryFeatures([...rows(500, { country: 'US' }, 'u'), ...rows(30, { country: 'DE' }, 'd')])).toEqual(['country=de', 'country=us'])
    expect(chooseCategoryFeatures([])).toEqual([])
  })
})

describe('one-hot category features', () => {
  const family = categoryFamily('segment')
  const ACCOUNTS: AccountRecord[] = [
    { eventId: 'a1', occurredAt: at('2026-01-01T00:00:00Z'), segment: ' Enterprise', country: 'de', employees: 250 },
    { eventId: 'a2', occurredAt: at('2026-03-01T00:00:00Z'), segment: 'SMB' },
    { eventId: 'a3', occurredAt: at('2026-04-01T00:00:00Z'), segment: null, employees: null },
  ]
  const SET = featureSetOf(['segment=enterprise', 'segment=smb', 'plan=pro', 'country=de', 'employees'])
  const valuesAt = (iso: string) => computeFeatures(customer(ACCOUNTS), iso, SET).values

  it('uses the latest account values at or before T: a later event does not apply, null clears', () => {
    expect(valuesAt('2025-12-31T23:59:59Z')).toMatchObject({ 'segment=enterprise': 0, 'segment=smb': 0, 'plan=pro': 1, 'country=de': 0, employees: 0 })
    expect(valuesAt('2026-02-28T23:59:59Z')).toMatchObject({ 'segment=enterprise': 1, 'segment=smb': 0, 'country=de': 1, employees: 250 })
    expect(valuesAt('2026-03-01T00:00:00Z')).toMatchObject({ 'segment=enterprise': 0, 'segment=smb': 1, 'country=de': 1, employees: 250 })
    expect(valuesAt('2026-04-02T00:00:00Z')).toMatchObject({ 'segment=enterprise': 0, 'segment=smb': 0, 'country=de': 1, employees: 0 })
    expect(computeFeatures(customer(ACCOUNTS), '2026-03-01T00:00:00Z', SET).categories).toEqual({ segment: 'smb', plan: 'pro', industry: null, country: 'de' })
  })

  it('encodes a rare category, one never seen in training and none at all identically: all zeros', () => {
    const withSegment = (segment: string | null) =>
      toFeatureArray(computeFeatures(customer([{ eventId: 'a', occurredAt: at('2026-01-01T00:00:00Z'), segment }]), '2026-02-01T00:00:00Z', SET), SET)
    expect(withSegment('partner')).toEqual([0, 0, 1, 0, 0])
    expect(withSegment('Never Seen Before')).toEqual(withSegment('partner'))
    expect(withSegment(null)).toEqual(withSegment('partner'))
    expect(withSegment('ENTERPRISE ')).toEqual([1, 0, 1, 0, 0])
  })

  it('resolves names by prefix and refuses an empty category', () => {
    expect(describeFeature('segment=mid market')).toMatchObject({ name: 'segment=mid market', unit: 'flag', heavyTailed: false })
    expect(describeFeature('plan=pro')?.description).toBe("1 when the subscription plan (billing, as of T) is 'pro', else 0")
    expect(unsupportedFeatures(['segment=', 'plan=', 'industry=retail', 'region=eu'])).toEqual(['segment=', 'plan=', 'region=eu'])
    expect(family.define('enterprise').name).toBe('segment=enterprise')
  })

  it.each([
    ['segment=enterprise', 1, 'Segment is enterprise'],
    ['segment=enterprise', 0, 'Segment is not enterprise'],
    ['plan=pro', 1, 'On the pro plan'],
    ['plan=pro', 0, 'Not on the pro plan'],
    ['industry=financial_services', 1, 'Industry is financial_services'],
    ['industry=retail', 0, 'Industry is not retail'],
    ['country=de', 1, 'Country is DE'],
    ['country=de', 0, 'Country is not DE'],
    ['country=germany', 1, 'Country is germany'],
  ])('%s = %d reads "%s"', (name, value, sentence) => {
    expect(describeFeature(name)?.sentence({ value, typical: 0, otherValue: () => undefined })).toBe(sentence)
  })

  it('reads employees as a count, and 0 as not known', () => {
    expect(EMPLOYEES_FEATURE.sentence({ value: 250, typical: 80, otherValue: () => undefined })).toBe('250 employees at the company, against 80 typically')
    expect(EMPLOYEES_FEATURE.sentence({ value: 1, typical: 80, otherValue: () => undefined })).toBe('1 employee at the company, against 80 typically')
    expect(EMPLOYEES_FEATURE.sentence({ value: 0, typical: 80, otherValue: () => undefined })).toBe('Company size not known')
  })
})

describe('appendCategoryColumns', () => {
  it('appends the chosen columns with the values scoring computes for the same rows', () => {
    const event = (id: string, segment: string, plan: string): ChurnEvent[] => [
      { eventId: `${id}-s`, customerId: id, occurredAt: '2026-01-01T00:00:00Z', kind: 'billing', type: 'subscription_started', mrr: 100, plan },
      { eventId: `${id}-a`, customerId: id, occurredAt: '2026-01-02T00:00:00Z', kind: 'account', segment },
    ]
    const segments = ['smb', 'SMB', 'enterprise', 'smb']
    const histories = Array.from({ length: 80 }, (_, i) => {
      const id = `c${i}`
      return historyFromEvents(id, event(id, i === 3 ? 'partner' : (segments[i % 4] ?? 'smb'), i % 2 === 0 ? 'pro' : 'Starter'))
    })
    const base = defineFeatureSet(['login'])
    const plan = { dates: [at('2026-02-01T00:00:00Z'), at('2026-03-01T00:00:00Z')], horizonDays: 90 }
    const examples = histories.flatMap((h) => trainingExamples(h, plan, base))
    const set = appendCategoryColumns(base, examples)
    // Two rows per customer: smb 59 customers (118 rows), enterprise 20 (40); partner 1 (2 rows) is "other".
    expect(set.names.slice(base.names.length)).toEqual(['segment=enterprise', 'segment=smb', 'plan=pro', 'plan=starter'])
    for (const [k, example] of examples.entries()) {
      const history = histories[Math.floor(k / 2)] as CustomerHistory
      expect(example.features).toEqual(toFeatureArray(computeFeatures(history, example.observedAt, set), set))
    }
    expect(categoryColumns({ ...NONE, segment: 'smb' }, ['segment=SMB', 'segment=', 'plan=smb'])).toEqual([1, 0, 0])
  })
})
