import { describe, expect, it } from 'vitest'
import { createActionTally, DEFAULT_ACTION_SELECTION, selectActions, tallyActions, twoProportionZ } from './action-selection.js'

/** 1,000 tallied customers, 100 of them churned; `uses(i)` lists the actions customer i used (with 1 event each). */
function tallyOf(uses: (i: number, churned: boolean) => string[]) {
  const tally = createActionTally()
  for (let i = 0; i < 1_000; i++) {
    const churned = i < 100
    tallyActions(tally, churned ? 1 : 0, uses(i, churned).map((a) => [a, 1] as const))
  }
  return tally
}

describe('selectActions', () => {
  it('keeps a rare action whose users churn far more often, and drops an equally rare one without signal', () => {
    // 'unfriend': 10 users, 8 churned (80 % against 92 / 990 = 9.3 %): z = 0.70707 / 0.095346 = 7.4158.
    // 'confetti': 10 users, 1 churned (10 % against 99 / 990 = 10 %): z = 0; below the common floor of 20 users.
    const tally = tallyOf((i, churned) => [
      'login',
      ...((churned && i < 8) || i === 500 || i === 501 ? ['unfriend'] : []),
      ...(i === 0 || (i >= 600 && i < 609) ? ['confetti'] : []),
    ])
    const selection = selectActions(tally)
    expect(selection.selected.map((s) => [s.action, s.reason])).toEqual([
      ['login', 'common'],
      ['unfriend', 'signal'],
    ])
    expect(selection.selected[1]).toMatchObject({ customers: 10, churnRateUsers: 0.8, churnRateOthers: 0.0929, z: 7.4158 })
    expect(selection).toMatchObject({ candidates: 3, droppedRare: 1, droppedByCap: 0, tallied: { customers: 1_000, churned: 100 } })
  })

  it('keeps a common action without signal and orders by users, then events, then name', () => {
    const tally = createActionTally()
    for (let i = 0; i < 100; i++) tallyActions(tally, 0, [['b', 1], ['a', 1], ['c', i < 50 ? 0 : 2], ['d', 5]])
    // 'c' has 0 events for half of them: only 50 users. 'd' ties 'a' and 'b' on users but has more events.
    expect(selectActions(tally).selected.map((s) => s.action)).toEqual(['d', 'a', 'b', 'c'])
  })

  it('respects the cap, dropping the least used common actions first and never a rare action with signal', () => {
    const commons = Array.from({ length: 50 }, (_, k) => `common_${String(k).padStart(2, '0')}`)
    // common_k is used by the customers with i % 100 >= 2k (1,000 - 20k users, churn rate 10 % like
    // everyone's, so no signal): the lower k, the more users.
    const tally = tallyOf((i, churned) => [...commons.filter((_, k) => i % 100 >= 2 * k), ...(churned && i < 8 ? ['unfriend'] : [])])
    const selection = selectActions(tally)
    expect(selection.selected).toHaveLength(DEFAULT_ACTION_SELECTION.cap)
    expect(selection.selected.map((s) => s.action)).toContain('unfriend')
    expect(selection.selected.filter((s) => s.reason === 'common').map((s) => s.action)).toEqual(commons.slice(0, 39))
    expect(selection.droppedByCap).toBe(11)
    expect(selectActions(tally, { ...DEFAULT_ACTION_SELECTION, cap: 0 }).selected).toEqual([])
  })

  it('computes the pooled two-proportion z statistic, 0 where it is undefined', () => {
    // 8/10 vs 92/990: pooled 0.1, se = sqrt(0.09 x (1/10 + 1/990)) = 0.095346: z = 7.4158.
    expect(twoProportionZ(8, 10, 92, 990)).toBeCloseTo(7.4158, 4)
    expect(twoProportionZ(0, 10, 0, 990)).toBe(0)
    expect(twoProportionZ(5, 10, 0, 0)).toBe(0)
  })
})
