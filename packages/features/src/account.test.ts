import { describe, expect, it } from 'vitest'
import { accountAsOf, toAccountRecord } from './account.js'
import { historyFromEvents } from './fold.js'
import type { AccountRecord } from './history.js'

const at = (iso: string) => Date.parse(iso)

const ACCOUNTS: AccountRecord[] = [
  // Out of order on purpose: event time decides, not arrival.
  { eventId: 'a3', occurredAt: at('2026-03-01T00:00:00Z'), segment: null, attributes: { tier: null, nps: 40 } },
  { eventId: 'a1', occurredAt: at('2026-01-01T00:00:00Z'), name: 'Acme', segment: 'smb', country: 'DE', employees: 12, attributes: { tier: 'gold', nps: 31 } },
  { eventId: 'a2', occurredAt: at('2026-02-01T00:00:00Z'), segment: 'mid_market', employees: 80, ownerId: 'csm-1' },
]

describe('accountAsOf', () => {
  it('has nothing before the first account event', () => {
    expect(accountAsOf({ accounts: ACCOUNTS }, at('2025-12-31T23:59:59Z'))).toEqual({
      name: null,
      segment: null,
      industry: null,
      country: null,
      ownerId: null,
      employees: null,
      attributes: {},
      updatedAt: null,
    })
    expect(accountAsOf({}, at('2026-06-01T00:00:00Z')).updatedAt).toBeNull()
  })

  it('applies the latest value of each field at or before T; absent fields keep earlier values', () => {
    expect(accountAsOf({ accounts: ACCOUNTS }, at('2026-02-01T00:00:00Z'))).toEqual({
      name: 'Acme',
      segment: 'mid_market',
      industry: null,
      country: 'DE',
      ownerId: 'csm-1',
      employees: 80,
      attributes: { tier: 'gold', nps: 31 },
      updatedAt: at('2026-02-01T00:00:00Z'),
    })
  })

  it('clears a field or an attribute sent as null', () => {
    expect(accountAsOf({ accounts: ACCOUNTS }, at('2026-03-01T00:00:00Z'))).toMatchObject({
      name: 'Acme',
      segment: null,
      employees: 80,
      attributes: { nps: 40 },
    })
  })

  it('breaks a tie at the same instant by eventId, as billing does', () => {
    const same = at('2026-01-01T00:00:00Z')
    const accounts: AccountRecord[] = [
      { eventId: 'b', occurredAt: same, segment: 'enterprise' },
      { eventId: 'a', occurredAt: same, segment: 'smb' },
    ]
    expect(accountAsOf({ accounts }, same).segment).toBe('enterprise')
  })

  it('keeps a "__proto__" attribute as a plain key', () => {
    const accounts: AccountRecord[] = [{ eventId: 'p', occurredAt: 0, attributes: JSON.parse('{"__proto__":"x"}') as Record<string, string> }]
    const state = accountAsOf({ accounts }, 0)
    expect(Object.getPrototypeOf(state.attributes)).toBe(Object.prototype)
    expect(Object.keys(state.attributes)).toEqual(['__proto__'])
  })
})

describe('toAccountRecord and historyFromEvents', () => {
  it('keeps only the fields sent, nulls included, and folds account events into the history once', () => {
    const event = { eventId: 'a1', customerId: 'acme', occurredAt: '2026-01-01T01:00:00+01:00', kind: 'account', segment: null, employees: 5 } as const
    expect(toAccountRecord(event)).toEqual({ eventId: 'a1', occurredAt: at('2026-01-01T00:00:00Z'), segment: null, employees: 5 })
    const history = historyFromEvents('acme', [event, { ...event, employees: 9 }, { ...event, customerId: 'other', eventId: 'a2' }])
    expect(history.accounts).toEqual([{ eventId: 'a1', occurredAt: at('2026-01-01T00:00:00Z'), segment: null, employees: 5 }])
  })
})
