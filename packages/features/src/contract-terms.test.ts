import { describe, expect, it } from 'vitest'
import { addPeriods, contractStateAt } from './contract-terms.js'
import { toBillingRecord } from './fold.js'
import type { BillingRecord } from './history.js'
import { sortBilling } from './subscription.js'

const at = (iso: string) => Date.parse(iso)
const record = (eventId: string, iso: string, type: BillingRecord['type'], extra: Partial<BillingRecord> = {}): BillingRecord => ({
  eventId,
  occurredAt: at(iso),
  type,
  ...extra,
})

// An annual contract sent with every term: renewed once on 2026-03-01.
const ANNUAL = sortBilling([
  record('b1', '2025-03-01T00:00:00Z', 'subscription_started', { mrr: 4900, interval: 'year', currentPeriodEnd: at('2026-03-01T00:00:00Z') }),
  record('b2', '2025-03-01T00:00:05Z', 'invoice_paid', { amount: 58800 }),
  record('b3', '2026-03-01T00:00:10Z', 'invoice_paid', { amount: 58800, interval: 'year', intervalCount: 1, currentPeriodEnd: at('2027-03-01T00:00:00Z') }),
])

// Monthly with no terms sent: invoices on the 1st, a price rise announced before the March renewal.
const MONTHLY = sortBilling([
  record('m0', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 3000 }),
  record('m1', '2026-01-01T00:01:00Z', 'invoice_paid', { amount: 3000 }),
  record('m2', '2026-02-01T00:01:00Z', 'invoice_paid', { amount: 3000 }),
  record('mc', '2026-02-25T00:00:00Z', 'subscription_changed', { mrr: 3600 }),
  record('m3', '2026-03-01T00:01:00Z', 'invoice_paid', { amount: 3600 }),
  record('m4', '2026-04-01T00:01:00Z', 'invoice_paid', { amount: 3600 }),
])

describe('contractStateAt with explicit terms', () => {
  it('takes interval and period end as sent and counts the renewal survived', () => {
    expect(contractStateAt(ANNUAL, at('2026-06-01T00:00:00Z'))).toEqual({
      interval: 'year',
      intervalCount: 1,
      intervalSource: 'explicit',
      currentPeriodEnd: at('2027-03-01T00:00:00Z'),
      periodEndSource: 'explicit',
      cancelAtPeriodEnd: false,
      cancellationEffectiveAt: null,
      renewalsSurvived: 1,
      // Due one year after the first paid invoice.
      lastRenewalAt: at('2026-03-01T00:00:05Z'),
      mrrBeforeLastRenewal: 4900,
      mrrAfterLastRenewal: 4900,
    })
  })

  it('reads nothing after asOf: before the renewal invoice the old period end and no renewal', () => {
    expect(contractStateAt(ANNUAL, at('2026-02-20T00:00:00Z'))).toMatchObject({
      currentPeriodEnd: at('2026-03-01T00:00:00Z'),
      periodEndSource: 'explicit',
      renewalsSurvived: 0,
      lastRenewalAt: null,
    })
  })

  it('rolls a passed period end forward by whole periods until the renewal arrives', () => {
    // 2 seconds after the period ended, 8 seconds before the renewal invoice is paid.
    expect(contractStateAt(ANNUAL, at('2026-03-01T00:00:02Z'))).toMatchObject({
      currentPeriodEnd: at('2027-03-01T00:00:00Z'),
      periodEndSource: 'inferred',
      renewalsSurvived: 0,
    })
  })

  it('reads intervalCount: a quarterly contract renews three months after its start', () => {
    const quarterly = [record('q0', '2026-01-10T00:00:00Z', 'subscription_started', { mrr: 1000, interval: 'month', intervalCount: 3 })]
    expect(contractStateAt(quarterly, at('2026-02-01T00:00:00Z'))).toMatchObject({
      interval: 'month',
      intervalCount: 3,
      intervalSource: 'explicit',
      currentPeriodEnd: at('2026-04-10T00:00:00Z'),
      periodEndSource: 'inferred',
    })
  })
})

describe('contractStateAt inferring the interval', () => {
  it('reads an invoice near 12 x MRR as annual and renews a year after it', () => {
    const billing = [
      record('a0', '2026-01-15T00:00:00Z', 'subscription_started', { mrr: 10_000 }),
      // 11 x MRR (a discount) is within the 20 % tolerance of 12.
      record('a1', '2026-01-15T00:00:00Z', 'invoice_paid', { amount: 110_000 }),
    ]
    expect(contractStateAt(sortBilling(billing), at('2026-05-01T00:00:00Z'))).toMatchObject({
      interval: 'year',
      intervalCount: 1,
      intervalSource: 'amount',
      currentPeriodEnd: at('2027-01-15T00:00:00Z'),
      renewalsSurvived: 0,
    })
  })

  it('reads invoices near 1 x MRR as monthly, counts renewals and the price change at the last one', () => {
    expect(contractStateAt(MONTHLY, at('2026-03-10T00:00:00Z'))).toEqual({
      interval: 'month',
      intervalCount: 1,
      intervalSource: 'amount',
      currentPeriodEnd: at('2026-04-01T00:01:00Z'),
      periodEndSource: 'inferred',
      cancelAtPeriodEnd: false,
      cancellationEffectiveAt: null,
      renewalsSurvived: 2,
      lastRenewalAt: at('2026-03-01T00:01:00Z'),
      // MRR on Feb 15 and on Mar 8.
      mrrBeforeLastRenewal: 3000,
      mrrAfterLastRenewal: 3600,
    })
    expect(contractStateAt(MONTHLY, at('2026-04-20T00:00:00Z'))).toMatchObject({ renewalsSurvived: 3, mrrBeforeLastRenewal: 3600, mrrAfterLastRenewal: 3600 })
  })

  it('falls back to the median gap between paid invoices when the amount matches no period', () => {
    const billing = [
      record('c0', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 3000 }),
      record('c1', '2026-01-01T00:00:00Z', 'invoice_paid'),
      record('c2', '2026-01-08T00:00:00Z', 'invoice_paid'),
      record('c3', '2026-01-15T00:00:00Z', 'invoice_paid'),
      // A proration: 0.4 x MRR is no known period, and its 1-day gap does not move the median (7).
      record('c4', '2026-01-16T00:00:00Z', 'invoice_paid', { amount: 1200 }),
    ]
    expect(contractStateAt(sortBilling(billing), at('2026-01-17T00:00:00Z'))).toMatchObject({
      interval: 'week',
      intervalCount: 1,
      intervalSource: 'cadence',
      currentPeriodEnd: at('2026-01-23T00:00:00Z'),
      renewalsSurvived: 2,
    })
  })

  it('leaves the interval unknown when no term is sent and invoices match no period (50 days apart), counting paid invoices after the first', () => {
    const billing = [
      record('u0', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 3000 }),
      record('u1', '2026-01-01T00:00:00Z', 'invoice_paid'),
      record('u2', '2026-02-20T00:00:00Z', 'invoice_paid'),
    ]
    expect(contractStateAt(sortBilling(billing), at('2026-04-01T00:00:00Z'))).toMatchObject({
      interval: null,
      intervalSource: null,
      currentPeriodEnd: null,
      periodEndSource: null,
      renewalsSurvived: 1,
      lastRenewalAt: at('2026-02-20T00:00:00Z'),
    })
  })

  it('explicit terms win over what the invoices suggest', () => {
    const billing = [...MONTHLY, record('m5', '2026-04-02T00:00:00Z', 'subscription_changed', { mrr: 3600, interval: 'year' })]
    expect(contractStateAt(sortBilling(billing), at('2026-04-10T00:00:00Z'))).toMatchObject({ interval: 'year', intervalSource: 'explicit' })
    expect(contractStateAt(sortBilling(billing), at('2026-04-01T12:00:00Z'))).toMatchObject({ interval: 'month', intervalSource: 'amount' })
  })
})

describe('contractStateAt on cancellations', () => {
  it('takes a cancellation effective at its effectiveAt', () => {
    const billing = sortBilling([...ANNUAL, record('x', '2026-06-01T00:00:00Z', 'subscription_canceled', { effectiveAt: at('2027-03-01T00:00:00Z') })])
    expect(contractStateAt(billing, at('2026-05-31T00:00:00Z')).cancellationEffectiveAt).toBeNull()
    expect(contractStateAt(billing, at('2026-06-02T00:00:00Z'))).toMatchObject({
      cancelAtPeriodEnd: false,
      cancellationEffectiveAt: at('2027-03-01T00:00:00Z'),
    })
  })

  it('takes a cancellation without effectiveAt, or cancelAtPeriodEnd, effective at the period end', () => {
    const canceled = sortBilling([...MONTHLY, record('x', '2026-04-10T00:00:00Z', 'subscription_canceled')])
    expect(contractStateAt(canceled, at('2026-04-11T00:00:00Z')).cancellationEffectiveAt).toBe(at('2026-05-01T00:01:00Z'))
    const scheduled = sortBilling([...MONTHLY, record('s', '2026-04-10T00:00:00Z', 'subscription_changed', { mrr: 3600, cancelAtPeriodEnd: true })])
    expect(contractStateAt(scheduled, at('2026-04-11T00:00:00Z'))).toMatchObject({
      cancelAtPeriodEnd: true,
      cancellationEffectiveAt: at('2026-05-01T00:01:00Z'),
    })
  })

  it('clears a scheduled cancellation on reactivation, and has no contract once ended', () => {
    const billing = sortBilling([
      ...MONTHLY,
      record('x', '2026-04-10T00:00:00Z', 'subscription_canceled', { effectiveAt: at('2026-05-01T00:01:00Z') }),
      record('r', '2026-04-12T00:00:00Z', 'subscription_reactivated', { mrr: 3600 }),
      record('e', '2026-06-01T00:00:00Z', 'subscription_ended'),
    ])
    expect(contractStateAt(billing, at('2026-04-13T00:00:00Z'))).toMatchObject({ cancelAtPeriodEnd: false, cancellationEffectiveAt: null })
    expect(contractStateAt(billing, at('2026-06-02T00:00:00Z'))).toMatchObject({ interval: null, currentPeriodEnd: null, renewalsSurvived: 0 })
  })
})

describe('addPeriods', () => {
  it('keeps month ends at month ends and the time of day', () => {
    const jan31 = at('2026-01-31T10:30:00Z')
    expect(new Date(addPeriods(jan31, { interval: 'month', count: 1 }, 1)).toISOString()).toBe('2026-02-28T10:30:00.000Z')
    expect(new Date(addPeriods(jan31, { interval: 'month', count: 1 }, 2)).toISOString()).toBe('2026-03-31T10:30:00.000Z')
    expect(new Date(addPeriods(at('2028-02-29T00:00:00Z'), { interval: 'year', count: 1 }, 1)).toISOString()).toBe('2029-02-28T00:00:00.000Z')
    expect(new Date(addPeriods(jan31, { interval: 'week', count: 2 }, 1)).toISOString()).toBe('2026-02-14T10:30:00.000Z')
  })
})

describe('toBillingRecord with contract terms', () => {
  const base = { eventId: 'b', customerId: 'acme', occurredAt: '2026-03-01T00:00:00Z', kind: 'billing' } as const

  it('stores the terms sent, instants in epoch ms, and nothing for terms not sent', () => {
    const invoice = { ...base, type: 'invoice_paid', interval: 'year', intervalCount: 1, currentPeriodEnd: '2027-03-01T01:00:00+01:00', cancelAtPeriodEnd: true } as const
    expect(toBillingRecord(invoice)).toMatchObject({ interval: 'year', intervalCount: 1, currentPeriodEnd: at('2027-03-01T00:00:00Z'), cancelAtPeriodEnd: true })
    expect(Object.keys(toBillingRecord({ ...base, type: 'invoice_paid' }))).not.toContain('interval')
    expect(toBillingRecord({ ...base, type: 'subscription_canceled', effectiveAt: '2027-03-01T00:00:00Z' }).effectiveAt).toBe(at('2027-03-01T00:00:00Z'))
  })

  it('ignores a term sent on a type that does not define it (an unknown extra field)', () => {
    const failed = { ...base, type: 'payment_failed', interval: 'fortnight', currentPeriodEnd: 'soon' } as const
    expect(Object.keys(toBillingRecord(failed))).not.toContain('interval')
    expect(Object.keys(toBillingRecord(failed))).not.toContain('currentPeriodEnd')
  })
})
