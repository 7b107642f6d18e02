import { describe, expect, expectTypeOf, it } from 'vitest'
import { designAccountEvent, designBillingEvent, designRenewalInvoice, designUsageEvent } from '../test/examples.js'
import {
  BILLING_TYPES,
  CONTRACT_TERMS_BILLING_TYPES,
  MAX_ACCOUNT_ATTRIBUTES,
  type AccountEvent,
  type BillingEvent,
} from './events.js'
import { buildJsonSchemas } from './json-schema.js'
import { parseEvent, parseEventForTopic } from './parse.js'
import { TOPICS } from './topics.js'

const encode = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

const terms = { interval: 'month', intervalCount: 3, currentPeriodEnd: '2026-06-01T00:00:00+02:00', cancelAtPeriodEnd: true }

describe('contract terms on billing events', () => {
  it('accepts the annual renewal example with every term, unchanged', () => {
    expect(parseEvent(encode(designRenewalInvoice), 'billing')).toEqual({ ok: true, event: designRenewalInvoice })
  })

  it.each(CONTRACT_TERMS_BILLING_TYPES)('accepts and keeps the terms on %s', (type) => {
    const event = { ...designBillingEvent, type, ...terms }
    expect(parseEvent(encode(event), 'billing')).toEqual({ ok: true, event })
  })

  it('accepts effectiveAt on subscription_canceled', () => {
    const event = { ...designBillingEvent, type: 'subscription_canceled', effectiveAt: '2027-03-01T00:00:00Z' }
    expect(parseEvent(encode(event), 'billing')).toEqual({ ok: true, event })
  })

  it.each(BILLING_TYPES)('keeps a %s event without any term valid (terms are additive)', (type) => {
    const event = { ...designBillingEvent, type }
    expect(parseEvent(encode(event), 'billing')).toEqual({ ok: true, event })
  })

  it('keeps terms sent on a type that does not carry them as unknown extra fields, unvalidated', () => {
    const event = { ...designBillingEvent, type: 'payment_failed', interval: 'fortnight' }
    expect(parseEvent(encode(event), 'billing')).toEqual({ ok: true, event })
  })

  it('types the terms only on the billing types that carry them', () => {
    const periodEnd = (e: BillingEvent) => (e.type === 'invoice_paid' ? e.currentPeriodEnd : undefined)
    expectTypeOf(periodEnd).returns.toEqualTypeOf<string | undefined>()
    const effective = (e: Extract<BillingEvent, { type: 'subscription_canceled' }>) => e.effectiveAt
    expectTypeOf(effective).returns.toEqualTypeOf<string | undefined>()
  })

  const badTerms = [
    { name: 'an unknown interval', patch: { interval: 'fortnight' }, path: 'interval', message: /must be one of: day, week, month, year/ },
    { name: 'a numeric interval', patch: { interval: 12 }, path: 'interval', message: /must be one of: day, week, month, year, got a number/ },
    { name: 'intervalCount 0', patch: { intervalCount: 0 }, path: 'intervalCount', message: /^must be >= 1$/ },
    { name: 'a negative intervalCount', patch: { intervalCount: -1 }, path: 'intervalCount', message: /^must be >= 1$/ },
    { name: 'a fractional intervalCount', patch: { intervalCount: 1.5 }, path: 'intervalCount', message: /must be an integer >= 1/ },
    { name: 'a string intervalCount', patch: { intervalCount: '12' }, path: 'intervalCount', message: /must be an integer >= 1, got a string/ },
    { name: 'a zone-less currentPeriodEnd', patch: { currentPeriodEnd: '2027-03-01T00:00:00' }, path: 'currentPeriodEnd', message: /must be ISO-8601 with a time zone/ },
    { name: 'a date-only currentPeriodEnd', patch: { currentPeriodEnd: '2027-03-01' }, path: 'currentPeriodEnd', message: /must be ISO-8601 with a time zone/ },
    { name: 'an epoch currentPeriodEnd (Stripe sends seconds)', patch: { currentPeriodEnd: 1803859200 }, path: 'currentPeriodEnd', message: /must be ISO-8601 with a time zone/ },
    { name: 'a string cancelAtPeriodEnd', patch: { cancelAtPeriodEnd: 'true' }, path: 'cancelAtPeriodEnd', message: /must be true or false, got a string/ },
  ]

  it.each(badTerms)('dead-letters an invoice with $name, naming the field', ({ patch, path, message }) => {
    const result = parseEvent(encode({ ...designRenewalInvoice, ...patch }), 'billing')
    expect(result).toEqual({ ok: false, issues: [{ path, message: expect.stringMatching(message) }] })
  })

  it('dead-letters a cancellation whose effectiveAt is not an instant, naming the field', () => {
    const event = { ...designBillingEvent, type: 'subscription_canceled', effectiveAt: 'end of term' }
    expect(parseEvent(encode(event), 'billing')).toEqual({
      ok: false,
      issues: [{ path: 'effectiveAt', message: expect.stringMatching(/must be ISO-8601 with a time zone/) }],
    })
  })
})

describe('account events', () => {
  it('accepts the example on churn.accounts.v1, unchanged and typed as an account event', () => {
    const result = parseEventForTopic(TOPICS.accounts, encode(designAccountEvent))
    expect(result).toEqual({ ok: true, event: designAccountEvent })
    const typed = parseEvent(encode(designAccountEvent), 'account')
    expect(typed.ok && typed.event.segment).toBe('mid_market')
    expectTypeOf<AccountEvent['employees']>().toEqualTypeOf<number | null | undefined>()
  })

  it('accepts an account event with only the envelope, nulls that clear a field, and extra fields', () => {
    const minimal = { eventId: 'a-1', customerId: 'acme', occurredAt: '2026-03-01T00:00:00Z', kind: 'account' }
    expect(parseEvent(encode(minimal))).toEqual({ ok: true, event: minimal })
    const clearing = { ...minimal, segment: null, employees: null, attributes: { region: null }, crmId: '0015g00000' }
    expect(parseEvent(encode(clearing), 'account')).toEqual({ ok: true, event: clearing })
  })

  it(`accepts ${MAX_ACCOUNT_ATTRIBUTES} attributes and rejects one more, naming attributes`, () => {
    const attributes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))
    expect(parseEvent(encode({ ...designAccountEvent, attributes: attributes(MAX_ACCOUNT_ATTRIBUTES) })).ok).toBe(true)
    expect(parseEvent(encode({ ...designAccountEvent, attributes: attributes(MAX_ACCOUNT_ATTRIBUTES + 1) }))).toEqual({
      ok: false,
      issues: [{ path: 'attributes', message: `must have at most ${MAX_ACCOUNT_ATTRIBUTES} keys` }],
    })
  })

  const badAccounts = [
    { name: 'a numeric segment', patch: { segment: 3 }, path: 'segment', message: /must be a string, got a number/ },
    { name: 'an empty name', patch: { name: '' }, path: 'name', message: /must be 1-256 characters, got 0/ },
    { name: 'a 65-char industry', patch: { industry: 'x'.repeat(65) }, path: 'industry', message: /must be 1-64 characters, got 65/ },
    { name: 'a string employees', patch: { employees: '240' }, path: 'employees', message: /must be an integer >= 0, got a string/ },
    { name: 'negative employees', patch: { employees: -1 }, path: 'employees', message: /^must be >= 0$/ },
    { name: 'fractional employees', patch: { employees: 2.5 }, path: 'employees', message: /must be an integer >= 0/ },
    { name: 'attributes as an array', patch: { attributes: ['emea'] }, path: 'attributes', message: /must be a JSON object of strings and numbers, got an array/ },
    { name: 'a boolean attribute', patch: { attributes: { churned: true } }, path: 'attributes.churned', message: /must be a string, a finite number or null, got a boolean/ },
    { name: 'a nested attribute', patch: { attributes: { address: { city: 'Berlin' } } }, path: 'attributes.address', message: /must be a string, a finite number or null, got an object/ },
    { name: 'a 257-char attribute value', patch: { attributes: { note: 'x'.repeat(257) } }, path: 'attributes.note', message: /must be at most 256 characters/ },
    { name: 'a 65-char attribute key', patch: { attributes: { ['k'.repeat(65)]: 1 } }, path: `attributes.${'k'.repeat(65)}`, message: /keys must be 1-64 characters/ },
    { name: 'a zone-less occurredAt', patch: { occurredAt: '2026-03-01T09:30:00' }, path: 'occurredAt', message: /must be ISO-8601 with a time zone/ },
  ]

  it.each(badAccounts)('dead-letters an account event with $name, naming the field', ({ patch, path, message }) => {
    const result = parseEventForTopic(TOPICS.accounts, encode({ ...designAccountEvent, ...patch }))
    expect(result).toEqual({ ok: false, issues: [expect.objectContaining({ path, message: expect.stringMatching(message) })] })
  })

  it('rejects the wrong kind for the topic both ways with one issue on kind', () => {
    expect(parseEventForTopic(TOPICS.accounts, encode(designBillingEvent))).toEqual({
      ok: false,
      issues: [{ path: 'kind', message: 'must be "account" on this topic, got "billing"' }],
    })
    expect(parseEventForTopic(TOPICS.usage, encode(designAccountEvent))).toEqual({
      ok: false,
      issues: [{ path: 'kind', message: 'must be "usage" on this topic, got "account"' }],
    })
  })

  it('names the account kind among the kinds an event may have', () => {
    expect(parseEvent(encode({ ...designUsageEvent, kind: 'crm' }))).toEqual({
      ok: false,
      issues: [{ path: 'kind', message: 'must be one of: usage, billing, account' }],
    })
  })

  it('publishes the account event schema with only the envelope required', () => {
    expect(buildJsonSchemas()['account-event']).toMatchObject({
      required: ['eventId', 'customerId', 'occurredAt', 'kind'],
      properties: { employees: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'null' }] } },
    })
  })
})
