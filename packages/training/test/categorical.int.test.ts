import type { ChurnEvent } from '@churnwatch/contract'
import type { AccountRecord, CustomerHistory } from '@churnwatch/features'
import { backfillLines } from '@churnwatch/ingest'
import { predict } from '@churnwatch/model'
import { loadActiveScorer, readHistoriesForScoring, scoreAllCustomersAt, scoreHistories, type ScoredCustomer } from '@churnwatch/scoring'
import { simulateBusiness } from '@churnwatch/simulator'
import { getModel, migrate } from '@churnwatch/storage'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPointInTimeSet, selectTensorflowBackend, trainAndRegister } from '../src/index.js'

describe('categorical inputs from account events and billing', { timeout: 240_000 }, () => {
  // Segments differ in behaviour in the simulator: smb leaves more readily than enterprise.
  const simulation = simulateBusiness({ customers: 500, months: 15, seed: 12, eventsPerActiveUserPerDay: 0.25, accounts: true })
  const events: ChurnEvent[] = [...simulation.events()]
  const asOf = '2026-03-01T00:00:00Z'
  const asOfMs = Date.parse(asOf)
  // The first account event of each customer (later ones hand the account to another owner).
  const signUps = [...new Map(events.filter((e) => e.kind === 'account').reverse().map((e) => [e.customerId, e])).values()]
  // Three customers (under 1% of 500) move to a 'Partner' segment the day after sign-up: rare, no column.
  const partners = signUps.slice(0, 3).map(
    (e, i): ChurnEvent => ({ eventId: `partner-${i}`, customerId: e.customerId, occurredAt: new Date(Date.parse(e.occurredAt) + 86_400_000).toISOString(), kind: 'account', segment: 'Partner' }),
  )
  let db: TestDatabase
  let version: string
  beforeAll(async () => {
    db = await createTestDatabase('cw_categorical')
    await migrate(db.pool)
    await backfillLines(db.pool, [...events, ...partners].map((e) => JSON.stringify(e)))
    await selectTensorflowBackend()
    // Logistic: "all else equal" is then one comparison of weights. (A GBDT finds the segment effect
    // through the headcount, which the simulator draws from disjoint ranges per segment.)
    version = (await trainAndRegister(db.pool, { asOf, kind: 'logistic', activate: true })).version
  }, 300_000)
  afterAll(() => db.drop())

  it('trains on one column per frequent category, the billing plan and employees; the rare segment gets none', async () => {
    const names = (await getModel(db.pool, version))?.featureNames ?? []
    expect(signUps.length).toBe(500)
    expect(names).toEqual(expect.arrayContaining(['employees', 'segment=smb', 'segment=mid_market', 'segment=enterprise', 'plan=starter', 'plan=pro', 'plan=enterprise']))
    // The simulator draws 7 industries and 8 countries uniformly: each well above 1% of customers.
    expect(names.filter((n) => n.startsWith('industry='))).toHaveLength(7)
    expect(names.filter((n) => n.startsWith('country='))).toEqual(expect.arrayContaining(['country=us', 'country=de']))
    expect(names.filter((n) => n.startsWith('country='))).toHaveLength(8)
    expect(names.some((n) => n.startsWith('segment=partner'))).toBe(false)
  })

  it("builds a stored model's own columns on other dates, whatever those rows would choose", async () => {
    const names = (await getModel(db.pool, version))?.featureNames ?? []
    const options = { asOf, intervalDays: 30, horizonDays: 90, trackedActionCount: 6, dates: [Date.parse('2025-10-01T00:00:00Z')] }
    // Thresholds no category meets: chosen, the set would have no one-hot column at all.
    const chosen = await buildPointInTimeSet(db.pool, { ...options, categories: { minRows: 1_000_000 } })
    expect(chosen.featureSet.names.some((n) => n.includes('='))).toBe(false)
    const own = await buildPointInTimeSet(db.pool, { ...options, categories: { minRows: 1_000_000 }, featureNames: names })
    expect(own.featureSet.names).toEqual(names)
    expect(own.examples.length).toBe(chosen.examples.length)
    const segmentColumn = names.indexOf('segment=smb')
    expect(own.examples.every((e) => e.features.length === names.length && e.features[segmentColumn] === (e.categories.segment === 'smb' ? 1 : 0))).toBe(true)
  })

  it('scores a customer whose segment the model never saw like one in a rare segment or none, and unlike a known one', async () => {
    const scorer = await loadActiveScorer(db.pool)
    if (!scorer) throw new Error('no active model')
    const active: ScoredCustomer[] = []
    await scoreAllCustomersAt(db.pool, scorer, { asOf, onChunk: (scored) => void active.push(...scored) })
    const id = active.find((s) => s.vector.categories.segment === 'smb')?.customerId ?? ''
    const [history] = await readHistoriesForScoring(db.pool, [id], asOf)
    if (!history) throw new Error('no history')
    const moved = (customerId: string, segment: string | null): CustomerHistory => {
      const record: AccountRecord = { eventId: `move-${customerId}`, occurredAt: asOfMs - 86_400_000, segment }
      return { ...history, customerId, accounts: [...(history.accounts ?? []), record] }
    }
    const { scored } = scoreHistories(scorer, [moved('unseen', 'Brand New Segment'), moved('rare', 'partner'), moved('none', null), moved('enterprise', 'Enterprise')], asOf)
    const [unseen, rare, none, enterprise] = scored.map((s) => ({ probability: s.probability, drivers: s.drivers, values: s.vector.values }))
    expect(unseen?.values).toMatchObject({ 'segment=smb': 0, 'segment=mid_market': 0, 'segment=enterprise': 0 })
    expect(rare).toEqual(unseen)
    expect(none).toEqual(unseen)
    expect(enterprise?.values['segment=enterprise']).toBe(1)
    expect(enterprise?.probability).not.toBe(unseen?.probability)
  })

  it('scores every active customer after an unseen segment arrives through the pipeline', async () => {
    const scorer = await loadActiveScorer(db.pool)
    if (!scorer) throw new Error('no active model')
    const before: ScoredCustomer[] = []
    await scoreAllCustomersAt(db.pool, scorer, { asOf, onChunk: (scored) => void before.push(...scored) })
    const target = before[0]?.customerId ?? ''
    const moved: ChurnEvent = { eventId: 'unseen-1', customerId: target, occurredAt: new Date(asOfMs - 3_600_000).toISOString(), kind: 'account', segment: '  Government ' }
    await backfillLines(db.pool, [JSON.stringify(moved)])
    const after: ScoredCustomer[] = []
    await scoreAllCustomersAt(db.pool, scorer, { asOf, onChunk: (scored) => void after.push(...scored) })
    expect(after.map((s) => s.customerId)).toEqual(before.map((s) => s.customerId))
    const scoredTarget = after.find((s) => s.customerId === target)
    expect(scoredTarget?.vector.categories.segment).toBe('government')
    expect(Object.entries(scoredTarget?.vector.values ?? {}).filter(([name, value]) => name.startsWith('segment=') && value !== 0)).toEqual([])
    // Everyone else scores as before.
    expect(after.filter((s) => s.customerId !== target).map((s) => s.probability)).toEqual(before.filter((s) => s.customerId !== target).map((s) => s.probability))
  })

  it('lists one-hot drivers only for the category the customer is in, as a statement about it', async () => {
    const scorer = await loadActiveScorer(db.pool)
    if (!scorer) throw new Error('no active model')
    const active: ScoredCustomer[] = []
    await scoreAllCustomersAt(db.pool, scorer, { asOf, onChunk: (scored) => void active.push(...scored) })
    const oneHot = active.flatMap((s) => s.drivers).filter((d) => d.feature.includes('='))
    expect(oneHot.length).toBeGreaterThan(0)
    for (const d of oneHot) {
      const [attribute, category = ''] = d.feature.split('=')
      expect(d.value).toBe(1)
      const expected = { segment: `Segment is ${category}`, plan: `On the ${category} plan`, industry: `Industry is ${category}`, country: `Country is ${category.toUpperCase()}` }[
        attribute ?? ''
      ]
      expect(d.sentence).toBe(`${expected ?? ''}${d.contribution < 0 ? ' (lowers risk)' : ''}`)
    }
    // Every customer still gets drivers.
    expect(active.every((s) => s.drivers.length > 0)).toBe(true)
  })

  it('picks up the segment effect the simulator puts in: smb riskier than enterprise, all else equal', async () => {
    const scorer = await loadActiveScorer(db.pool)
    if (!scorer) throw new Error('no active model')
    const active: ScoredCustomer[] = []
    await scoreAllCustomersAt(db.pool, scorer, { asOf, onChunk: (scored) => void active.push(...scored) })
    const names = scorer.featureSet.names
    // Each active customer's row with its segment set to smb, then to enterprise; nothing else changes.
    const asSegment = (s: ScoredCustomer, segment: string) => names.map((n) => (n.startsWith('segment=') ? (n === `segment=${segment}` ? 1 : 0) : (s.vector.values[n] ?? 0)))
    const smb = predict(scorer.model, active.map((s) => asSegment(s, 'smb')))
    const enterprise = predict(scorer.model, active.map((s) => asSegment(s, 'enterprise')))
    expect(active.length).toBeGreaterThan(100)
    expect(active.every((_, i) => (smb[i] ?? 0) > (enterprise[i] ?? 0))).toBe(true)
    // And the simulator's truth agrees on the direction.
    const truth = simulation.truth()
    const meanTruth = (segment: string) => {
      const ps = truth.filter((t) => t.segment === segment).flatMap((t) => t.monthly.map((m) => m.trueChurnProbability90d))
      return ps.reduce((a, b) => a + b, 0) / ps.length
    }
    expect(meanTruth('smb')).toBeGreaterThan(meanTruth('enterprise'))
  })
})
