import { describe, expect, expectTypeOf, it } from 'vitest'
import { designBillingEvent, designUsageEvent } from '../test/examples.js'
import {
  BILLING_TYPES,
  billingEventSchema,
  churnEventSchema,
  MRR_REQUIRED_BILLING_TYPES,
  usageEventSchema,
  type BillingEvent,
} from './events.js'
import { parseEvent } from './parse.js'

const encode = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

function without<T extends object>(value: T, key: keyof T): Partial<T> {
  const copy: Partial<T> = { ...value }
  delete copy[key]
  return copy
}

describe('valid events', () => {
  it('accepts both example events from the design unchanged', () => {
    expect(parseEvent(encode(designUsageEvent))).toEqual({ ok: true, event: designUsageEvent })
    expect(parseEvent(encode(designBillingEvent))).toEqual({ ok: true, event: designBillingEvent })
  })

  it('defaults quantity to 1 and leaves the optional usage fields absent', () => {
    const minimal = { eventId: 'u-1', customerId: 'acme', occurredAt: '2026-03-01T12:00:00Z', kind: 'usage', action: 'login' }
    expect(parseEvent(encode(minimal))).toEqual({ ok: true, event: { ...minimal, quantity: 1 } })
  })

  it('keeps unknown extra fields in the parsed event', () => {
    const withExtras = { ...designUsageEvent, source: 'segment', context: { ip: '10.0.0.1' } }
    const billingWithExtras = { ...designBillingEvent, invoiceId: 'in_42' }
    expect(parseEvent(encode(withExtras))).toEqual({ ok: true, event: withExtras })
    expect(parseEvent(encode(billingWithExtras))).toEqual({ ok: true, event: billingWithExtras })
  })

  it('keeps occurredAt as the string that was sent, with its offset', () => {
    const event = { ...designUsageEvent, occurredAt: '2026-03-01T13:00:00.250+01:00' }
    const result = parseEvent(encode(event))
    expect(result.ok && result.event.occurredAt).toBe('2026-03-01T13:00:00.250+01:00')
  })

  it('accepts fractional and zero quantities', () => {
    for (const quantity of [0, 0.5, 1e6]) {
      expect(parseEvent(encode({ ...designUsageEvent, quantity })).ok, `quantity ${quantity}`).toBe(true)
    }
  })

  it.each(BILLING_TYPES)('accepts a %s event that carries mrr', (type) => {
    expect(billingEventSchema.safeParse({ ...designBillingEvent, type }).success).toBe(true)
  })

  it.each(BILLING_TYPES.filter((type) => !MRR_REQUIRED_BILLING_TYPES.some((t) => t === type)))(
    'does not require mrr for %s',
    (type) => {
      const event = { ...without(designBillingEvent, 'mrr'), type }
      expect(parseEvent(encode(event))).toEqual({ ok: true, event })
    },
  )

  it('drops a "__proto__" key instead of changing the prototype of the event', () => {
    const text = JSON.stringify(designUsageEvent).replace(/}$/, ',"__proto__":{"polluted":true}}')
    const result = parseEvent(text)
    expect(result.ok).toBe(true)
    if (result.ok) expect(Object.getPrototypeOf(result.event)).toBe(Object.prototype)
  })

  it('narrows the type so mrr is a number for subscription_started and subscription_changed', () => {
    const mrrOf = (event: BillingEvent) => (event.type === 'subscription_changed' ? event.mrr : undefined)
    const optionalMrrOf = (event: BillingEvent) => (event.type === 'invoice_paid' ? event.mrr : 0)
    expectTypeOf(mrrOf).returns.toEqualTypeOf<number | undefined>()
    expectTypeOf<Parameters<typeof mrrOf>[0]>().toEqualTypeOf<BillingEvent>()
    expectTypeOf(optionalMrrOf).returns.toEqualTypeOf<number | undefined>()
    const startedMrr = (event: Extract<BillingEvent, { type: 'subscription_started' | 'subscription_changed' }>) => event.mrr
    expectTypeOf(startedMrr).returns.toEqualTypeOf<number>()
  })

  it('exposes each kind schema and the union', () => {
    expect(usageEventSchema.safeParse(designUsageEvent).success).toBe(true)
    expect(churnEventSchema.safeParse(designBillingEvent).success).toBe(true)
    expect(usageEventSchema.safeParse(designBillingEvent).success).toBe(false)
  })
})

const long = (length: number): string => 'x'.repeat(length)

type InvalidCase = { name: string; event: object; path: string; message: RegExp }

const invalidUsage: InvalidCase[] = [
  { name: 'missing eventId', event: without(designUsageEvent, 'eventId'), path: 'eventId', message: /^is required$/ },
  { name: 'empty eventId', event: { ...designUsageEvent, eventId: '' }, path: 'eventId', message: /must be 1-128 characters, got 0/ },
  { name: '129-char eventId', event: { ...designUsageEvent, eventId: long(129) }, path: 'eventId', message: /must be 1-128 characters, got 129/ },
  { name: 'numeric eventId', event: { ...designUsageEvent, eventId: 123 }, path: 'eventId', message: /must be a string, got a number/ },
  { name: 'missing customerId', event: without(designUsageEvent, 'customerId'), path: 'customerId', message: /^is required$/ },
  { name: 'empty customerId', event: { ...designUsageEvent, customerId: '' }, path: 'customerId', message: /must be 1-128 characters, got 0/ },
  { name: '129-char customerId', event: { ...designUsageEvent, customerId: long(129) }, path: 'customerId', message: /must be 1-128 characters, got 129/ },
  { name: 'zone-less occurredAt', event: { ...designUsageEvent, occurredAt: '2026-03-01T12:00:00' }, path: 'occurredAt', message: /must be ISO-8601 with a time zone/ },
  { name: 'date-only occurredAt', event: { ...designUsageEvent, occurredAt: '2026-03-01' }, path: 'occurredAt', message: /must be ISO-8601 with a time zone/ },
  { name: 'non-date occurredAt', event: { ...designUsageEvent, occurredAt: 'yesterday' }, path: 'occurredAt', message: /must be ISO-8601 with a time zone/ },
  { name: 'impossible date occurredAt', event: { ...designUsageEvent, occurredAt: '2026-02-30T12:00:00Z' }, path: 'occurredAt', message: /must be ISO-8601 with a time zone/ },
  { name: 'epoch-number occurredAt', event: { ...designUsageEvent, occurredAt: 1772366400000 }, path: 'occurredAt', message: /must be ISO-8601 with a time zone/ },
  { name: 'missing occurredAt', event: without(designUsageEvent, 'occurredAt'), path: 'occurredAt', message: /^is required$/ },
  { name: 'empty action', event: { ...designUsageEvent, action: '' }, path: 'action', message: /must be 1-64 characters, got 0/ },
  { name: '65-char action', event: { ...designUsageEvent, action: long(65) }, path: 'action', message: /must be 1-64 characters, got 65/ },
  { name: 'negative quantity', event: { ...designUsageEvent, quantity: -1 }, path: 'quantity', message: /must be >= 0/ },
  { name: 'string quantity', event: { ...designUsageEvent, quantity: '3' }, path: 'quantity', message: /must be a finite number, got a string/ },
  { name: '"NaN" quantity', event: { ...designUsageEvent, quantity: 'NaN' }, path: 'quantity', message: /must be a finite number, got a string/ },
  { name: '"Infinity" quantity', event: { ...designUsageEvent, quantity: 'Infinity' }, path: 'quantity', message: /must be a finite number, got a string/ },
  { name: 'null quantity', event: { ...designUsageEvent, quantity: null }, path: 'quantity', message: /must be a finite number, got null/ },
  { name: 'empty userId', event: { ...designUsageEvent, userId: '' }, path: 'userId', message: /must be 1-128 characters, got 0/ },
  { name: 'array properties', event: { ...designUsageEvent, properties: [] }, path: 'properties', message: /must be a JSON object, got an array/ },
  { name: 'missing kind', event: without(designUsageEvent, 'kind'), path: 'kind', message: /^is required$/ },
  { name: 'unknown kind', event: { ...designUsageEvent, kind: 'refund' }, path: 'kind', message: /must be one of: usage, billing/ },
]

const invalidBilling: InvalidCase[] = [
  { name: 'unknown billing type', event: { ...designBillingEvent, type: 'invoice_voided' }, path: 'type', message: /must be one of: subscription_started, subscription_changed, invoice_paid, payment_failed, subscription_canceled, subscription_ended, subscription_reactivated/ },
  { name: 'missing billing type', event: without(designBillingEvent, 'type'), path: 'type', message: /^is required$/ },
  { name: 'subscription_started without mrr', event: without(designBillingEvent, 'mrr'), path: 'mrr', message: /is required for subscription_started and subscription_changed/ },
  { name: 'subscription_changed without mrr', event: { ...without(designBillingEvent, 'mrr'), type: 'subscription_changed' }, path: 'mrr', message: /is required for subscription_started and subscription_changed/ },
  { name: 'non-integer mrr', event: { ...designBillingEvent, mrr: 49.5 }, path: 'mrr', message: /must be an integer in minor units/ },
  { name: 'non-integer mrr on invoice_paid', event: { ...designBillingEvent, type: 'invoice_paid', mrr: 49.5 }, path: 'mrr', message: /must be an integer in minor units/ },
  { name: 'string mrr', event: { ...designBillingEvent, mrr: '4900' }, path: 'mrr', message: /must be an integer in minor units \(e.g. cents\), got a string/ },
  { name: 'negative mrr', event: { ...designBillingEvent, mrr: -100 }, path: 'mrr', message: /must be >= 0/ },
  { name: 'non-integer amount', event: { ...designBillingEvent, amount: 49.99 }, path: 'amount', message: /must be an integer in minor units/ },
  { name: 'negative amount', event: { ...designBillingEvent, amount: -1 }, path: 'amount', message: /must be >= 0/ },
  { name: 'lower-case currency', event: { ...designBillingEvent, currency: 'usd' }, path: 'currency', message: /must be an ISO 4217 code of 3 uppercase letters/ },
  { name: 'two-letter currency', event: { ...designBillingEvent, currency: 'US' }, path: 'currency', message: /must be an ISO 4217 code of 3 uppercase letters/ },
  { name: '65-char plan', event: { ...designBillingEvent, plan: long(65) }, path: 'plan', message: /must be 1-64 characters, got 65/ },
  { name: '65-char reason', event: { ...designBillingEvent, reason: long(65) }, path: 'reason', message: /must be 1-64 characters, got 65/ },
  { name: 'empty reason', event: { ...designBillingEvent, reason: '' }, path: 'reason', message: /must be 1-64 characters, got 0/ },
  { name: '"yes" voluntary', event: { ...designBillingEvent, voluntary: 'yes' }, path: 'voluntary', message: /must be true or false, got a string/ },
]

describe('invalid events', () => {
  it.each([...invalidUsage, ...invalidBilling])('rejects $name with one issue on $path', ({ event, path, message }) => {
    const result = parseEvent(encode(event))
    expect(result).toEqual({ ok: false, issues: [{ path, message: expect.stringMatching(message) }] })
  })

  it('reports every bad field of one event, not only the first', () => {
    const event = { ...designUsageEvent, eventId: '', occurredAt: '2026-03-01T12:00:00', quantity: -1 }
    const result = parseEvent(encode(event))
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['eventId', 'occurredAt', 'quantity'])
  })
})
