import type { AccountEvent, ChurnEvent, DeadLetterEvent } from '@churnwatch/contract'
import { accountAsOf, contractStateAt, sortBilling } from '@churnwatch/features'
import { readCustomerHistories } from '@churnwatch/storage'
import { buildBillingEvent, collectMessages, produceMessages, waitFor } from '@churnwatch/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createWorld, type World } from './harness.js'

const account = (eventId: string, occurredAt: string, fields: Partial<AccountEvent> = {}): AccountEvent => ({
  eventId,
  customerId: 'initech',
  occurredAt,
  kind: 'account',
  ...fields,
})

describe('feature builder folding account events and contract terms', () => {
  const worlds: World[] = []
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    for (const w of worlds.splice(0)) await w.close()
  })

  it('folds each account event once, keeps contract terms, and dead-letters a poisoned account event naming the field', async () => {
    const w = await createWorld('accounts')
    worlds.push(w)
    const dead = await collectMessages([w.topics.deadLetter])
    stops.push(dead.stop)
    const { registry } = await w.start()
    const events: ChurnEvent[] = [
      buildBillingEvent({ eventId: 'b1', customerId: 'initech', occurredAt: '2026-01-10T00:00:00Z', mrr: 10_000, plan: 'pro' }),
      buildBillingEvent({
        eventId: 'b2',
        customerId: 'initech',
        occurredAt: '2026-01-10T00:00:01Z',
        type: 'invoice_paid',
        mrr: undefined,
        amount: 120_000,
        interval: 'year',
        currentPeriodEnd: '2027-01-10T00:00:00Z',
      }),
      account('a1', '2026-01-05T00:00:00Z', { segment: 'smb', employees: 40, attributes: { region: 'emea', nps: 20 } }),
      account('a2', '2026-02-01T00:00:00Z', { segment: 'mid_market', ownerId: 'csm-7', attributes: { nps: null } }),
    ]
    await w.produce(events)
    // The same eventId again with other values: a duplicate, which changes nothing.
    await produceMessages(w.topics.accounts, [{ key: 'initech', value: account('a2', '2026-02-01T00:00:00Z', { segment: 'enterprise' }) }])
    const poisoned = { ...account('a3', '2026-03-01T00:00:00Z'), employees: 'many' }
    await produceMessages(w.topics.accounts, [{ key: 'initech', value: poisoned }])
    await w.waitForOffsets(events.length + 2)

    const letters = await waitFor(() => (dead.messages.length >= 1 ? dead.messages : undefined))
    expect(letters).toHaveLength(1)
    const letter = JSON.parse(String(letters[0]?.value)) as DeadLetterEvent
    expect(letter.topic).toBe(w.topics.accounts)
    expect(letter.error.issues).toEqual([{ path: 'employees', message: 'must be an integer >= 0, got a string' }])

    const stored = await w.db.pool.query<{ event_id: string; fields: object }>(
      'SELECT event_id, fields FROM account_events WHERE customer_id = $1 ORDER BY occurred_at, event_id',
      ['initech'],
    )
    expect(stored.rows).toEqual([
      { event_id: 'a1', fields: { segment: 'smb', employees: 40, attributes: { region: 'emea', nps: 20 } } },
      { event_id: 'a2', fields: { segment: 'mid_market', ownerId: 'csm-7', attributes: { nps: null } } },
    ])
    const raw = await w.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE kind = 'account'")
    expect(raw.rows[0]?.n).toBe(2)

    const [history] = await readCustomerHistories(w.db.pool, ['initech'])
    if (!history) throw new Error('no history')
    expect(accountAsOf(history, Date.parse('2026-01-31T00:00:00Z'))).toMatchObject({ segment: 'smb', ownerId: null, attributes: { region: 'emea', nps: 20 } })
    expect(accountAsOf(history, Date.parse('2026-03-01T00:00:00Z'))).toMatchObject({
      segment: 'mid_market',
      ownerId: 'csm-7',
      employees: 40,
      attributes: { region: 'emea' },
    })
    expect(contractStateAt(sortBilling(history.billing), Date.parse('2026-06-01T00:00:00Z'))).toMatchObject({
      interval: 'year',
      intervalSource: 'explicit',
      currentPeriodEnd: Date.parse('2027-01-10T00:00:00Z'),
      periodEndSource: 'explicit',
    })
    expect(await registry.getSingleMetricAsString('churnwatch_events_folded_total')).toMatch(/kind="account"[^\n]* 2/)
  })
})
