import type { ChurnEvent } from '@churnwatch/contract'
import { describe, expect, it } from 'vitest'
import { computeFeatures } from './compute.js'
import { describeFeature } from './definitions.js'
import { defineFeatureSet } from './feature-set.js'
import { historyFromEvents } from './fold.js'
import { MAX_DAYS_TO_RENEWAL, RENEWAL_FEATURES } from './renewal.js'

const usage = (eventId: string, occurredAt: string): ChurnEvent => ({ eventId, customerId: 'acme', occurredAt, kind: 'usage', action: 'login', quantity: 1 })
const billing = (eventId: string, occurredAt: string, type: string, extra: Record<string, unknown> = {}): ChurnEvent =>
  ({ eventId, customerId: 'acme', occurredAt, kind: 'billing', type, ...extra }) as ChurnEvent
const logins = (prefix: string, occurredAt: string, n: number): ChurnEvent[] => Array.from({ length: n }, (_, i) => usage(`${prefix}-${i}`, occurredAt))

// An annual contract with its terms sent: renewed early on 2026-02-20 at a 10 % higher price, then
// auto-renew switched off on 2027-02-10.
const ANNUAL: ChurnEvent[] = [
  billing('b1', '2025-03-01T00:00:00Z', 'subscription_started', { mrr: 4900, interval: 'year', currentPeriodEnd: '2026-03-01T00:00:00Z' }),
  billing('b2', '2025-03-01T00:00:05Z', 'invoice_paid', { amount: 58800 }),
  // Ages 40 (baseline) before 2026-02-10; nothing in the 14 days before it.
  ...logins('jan26', '2026-01-01T10:00:00Z', 38),
  billing('b3', '2026-02-20T00:00:00Z', 'subscription_changed', { mrr: 5390 }),
  billing('b4', '2026-02-20T00:00:01Z', 'invoice_paid', { amount: 64680, interval: 'year', intervalCount: 1, currentPeriodEnd: '2027-03-01T00:00:00Z' }),
  // Ages 45 (baseline) and 5 (recent) before 2027-02-15.
  ...logins('jan27', '2027-01-01T10:00:00Z', 76),
  billing('b5', '2027-02-10T00:00:00Z', 'subscription_changed', { mrr: 5390, cancelAtPeriodEnd: true }),
  ...logins('feb27', '2027-02-10T10:00:00Z', 10),
  // After every cut-off below: must change nothing.
  billing('late1', '2027-02-16T00:00:00Z', 'subscription_changed', { mrr: 99_000, cancelAtPeriodEnd: false, interval: 'month' }),
  ...logins('late', '2027-02-16T10:00:00Z', 500),
]

const SET = defineFeatureSet([])
const renewalValues = (events: readonly ChurnEvent[], asOf: string) => {
  const { values } = computeFeatures(historyFromEvents('acme', events), asOf, SET)
  return Object.fromEntries(RENEWAL_FEATURES.map((f) => [f.name, values[f.name]]))
}
const upTo = (asOf: string) => ANNUAL.filter((e) => Date.parse(e.occurredAt) <= Date.parse(asOf))

describe('renewal features', () => {
  it.each([
    [
      // 18.5 days before the first term ends: inside the 30-day window; 0 events in the last 14
      // days against 38 x 14 / 76 = 7 usually: (0 + 1) / (7 + 1).
      '2026-02-10T12:00:00Z',
      {
        renewal_known: 1,
        days_to_renewal: 18.5,
        contract_interval_months: 12,
        in_notice_window: 1,
        cancel_at_period_end: 0,
        renewals_survived: 0,
        price_change_at_last_renewal: 0,
        usage_vs_usual_before_renewal: 0.125,
      },
    ],
    [
      // 273 days before 2027-03-01; renewed once, MRR 4900 two weeks before the renewal and 5390 a week after.
      '2026-06-01T00:00:00Z',
      {
        renewal_known: 1,
        days_to_renewal: 273,
        contract_interval_months: 12,
        in_notice_window: 0,
        cancel_at_period_end: 0,
        renewals_survived: 1,
        price_change_at_last_renewal: 0.1,
        usage_vs_usual_before_renewal: 1,
      },
    ],
    [
      // 14 days before the second term ends, auto-renew off; 10 recent events against 76 x 14 / 76 = 14: 11 / 15.
      '2027-02-15T00:00:00Z',
      {
        renewal_known: 1,
        days_to_renewal: 14,
        contract_interval_months: 12,
        in_notice_window: 1,
        cancel_at_period_end: 1,
        renewals_survived: 1,
        price_change_at_last_renewal: 0.1,
        usage_vs_usual_before_renewal: 0.7333,
      },
    ],
  ])('matches the hand-computed values as of %s, and nothing after it counts', (asOf, expected) => {
    expect(renewalValues(ANNUAL, asOf)).toEqual(expected)
    expect(renewalValues(upTo(asOf), asOf)).toEqual(expected)
  })

  it('puts a monthly contract inside its notice window only in the last third of the month', () => {
    // Monthly, inferred from an invoice equal to MRR: renews 2026-02-01; the window is 30.44 / 3 = 10.1 days.
    const events = [billing('m0', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 3000 }), billing('m1', '2026-01-01T00:00:00Z', 'invoice_paid', { amount: 3000 })]
    expect(renewalValues(events, '2026-01-20T00:00:00Z')).toMatchObject({ days_to_renewal: 12, contract_interval_months: 1, in_notice_window: 0, usage_vs_usual_before_renewal: 1 })
    // Inside: no usage at all against no baseline reads as usual, (0 + 1) / (0 + 1).
    expect(renewalValues(events, '2026-01-22T00:00:00Z')).toMatchObject({ days_to_renewal: 10, in_notice_window: 1, usage_vs_usual_before_renewal: 1 })
  })

  it('reads what a model sees when nothing is known: renewal unknown, days at the cap, term 0, neutral usage', () => {
    const events = [billing('s0', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 3000 })]
    expect(renewalValues(events, '2026-03-01T00:00:00Z')).toEqual({
      renewal_known: 0,
      days_to_renewal: MAX_DAYS_TO_RENEWAL,
      contract_interval_months: 0,
      in_notice_window: 0,
      cancel_at_period_end: 0,
      renewals_survived: 0,
      price_change_at_last_renewal: 0,
      usage_vs_usual_before_renewal: 1,
    })
  })

  it('reads drivers as sentences quoting the term, the days left and a scheduled cancellation', () => {
    const { values } = computeFeatures(historyFromEvents('acme', ANNUAL), '2027-02-15T00:00:00Z', SET)
    const sentence = (name: string) => {
      const definition = describeFeature(name)
      if (!definition) throw new Error(name)
      return definition.sentence({ value: values[name] ?? NaN, typical: 0, otherValue: (other) => values[other] })
    }
    expect(sentence('days_to_renewal')).toBe('Renews in 14 days on an annual contract; cancellation scheduled')
    expect(sentence('in_notice_window')).toBe('Inside the notice window before renewal: renews in 14 days on an annual contract; cancellation scheduled')
    expect(sentence('cancel_at_period_end')).toBe('Cancellation scheduled at the period end, in 14 days (auto-renew off)')
    expect(sentence('contract_interval_months')).toBe('On an annual contract, renewing in 14 days')
    expect(sentence('renewals_survived')).toBe('Renewed 1 time on an annual contract')
    expect(sentence('price_change_at_last_renewal')).toBe('Price rose 10% at the last renewal')
    expect(sentence('usage_vs_usual_before_renewal')).toBe('Usage in the last 14 days is 73% of usual, with the renewal due in 14 days')

    const unknown = computeFeatures(historyFromEvents('acme', [billing('s0', '2026-01-01T00:00:00Z', 'subscription_started', { mrr: 3000 })]), '2026-03-01T00:00:00Z', SET).values
    const days = describeFeature('days_to_renewal')
    expect(days?.sentence({ value: MAX_DAYS_TO_RENEWAL, typical: 0, otherValue: (other) => unknown[other] })).toBe(
      'Next renewal unknown: no contract terms sent, none inferable from invoices',
    )
    // A model without the other renewal features still gets a sentence of its own.
    expect(days?.sentence({ value: 3.4, typical: 0, otherValue: () => undefined })).toBe('Renews in 3 days')
    expect(describeFeature('contract_interval_months')?.sentence({ value: 24, typical: 0, otherValue: () => undefined })).toBe('On a 24-month contract')
  })
})
