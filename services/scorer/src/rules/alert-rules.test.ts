import { describe, expect, it } from 'vitest'
import { decideAlerts, DEFAULT_ALERT_RULES, type AlertChange, type CustomerSignal, type LiveAlert } from './alert-rules.js'
import { bandOf } from '@churnwatch/scoring'
import { isMaterialChange } from './bands.js'
import { loadPlayBook } from '../playbook.js'
import { suggestPlay } from './plays.js'

const plays = loadPlayBook()
const thresholds = { high: 0.5, medium: 0.2, rearm: 0.35 }
const options = { ...DEFAULT_ALERT_RULES, thresholds, plays }
const day = 86_400_000

const signal = (overrides: Partial<CustomerSignal> = {}): CustomerSignal => ({
  customerId: 'acme',
  asOf: '2026-05-01T00:00:00.000Z',
  probability: 0.1,
  revenueAtRisk: 490,
  drivers: [{ feature: 'days_since_last_activity', value: 30, contribution: 1.2, sentence: 'No usage for 30 days' }],
  tenureDays: 400,
  subscription: { status: 'active', lastFailedAt: null, lastPaidAt: Date.parse('2026-04-20T00:00:00Z') },
  events14d: 50,
  baselineEvents14d: 60,
  ...overrides,
})

/** Applies changes to the live set like the scorer's store does. */
function apply(live: LiveAlert[], changes: AlertChange[]): LiveAlert[] {
  const next = new Map(live.map((a) => [a.kind, a]))
  for (const { alert } of changes) {
    if (alert.status === 'resolved') next.delete(alert.kind)
    else next.set(alert.kind, alert)
  }
  return [...next.values()]
}

describe('risk_high with hysteresis', () => {
  it('opens at the high threshold, stays open between re-arm and high, resolves below re-arm, and re-opens only at high again', () => {
    const path = [0.2, 0.55, 0.45, 0.4, 0.36, 0.34, 0.45, 0.49, 0.51]
    let live: LiveAlert[] = []
    const log: string[] = []
    path.forEach((p, i) => {
      const changes = decideAlerts(signal({ probability: p, asOf: new Date(Date.parse('2026-05-01T00:00:00Z') + i * day).toISOString() }), live, options)
      for (const c of changes) log.push(`${p}:${c.change}`)
      live = apply(live, changes)
    })
    expect(log).toEqual(['0.55:opened', '0.34:resolved', '0.51:opened'])
  })

  it('updates the open alert when the risk rises further instead of opening another', () => {
    const [opened] = decideAlerts(signal({ probability: 0.6 }), [], options)
    if (!opened || opened.alert.status === 'resolved') throw new Error('expected an open alert')
    const live = [opened.alert]
    expect(decideAlerts(signal({ probability: 0.62 }), live, options)).toEqual([])
    const [update] = decideAlerts(signal({ probability: 0.7, asOf: '2026-05-02T00:00:00.000Z' }), live, options)
    expect(update?.change).toBe('updated')
    expect(update?.alert).toMatchObject({ alertId: opened.alert.alertId, probability: 0.7, createdAt: opened.alert.createdAt })
  })

  it('gives the same alert id for the same signal, so a replay raises nothing new', () => {
    const a = decideAlerts(signal({ probability: 0.9 }), [], options)
    const b = decideAlerts(signal({ probability: 0.9 }), [], options)
    expect(a[0]?.alert.alertId).toBe(b[0]?.alert.alertId)
  })
})

describe('payment_failed, cancel_requested and usage_drop', () => {
  it('raises payment_failed after a failure with no later payment and clears when a payment succeeds', () => {
    const failing = signal({ subscription: { status: 'active', lastPaidAt: Date.parse('2026-04-01T00:00:00Z'), lastFailedAt: Date.parse('2026-04-25T00:00:00Z') } })
    const [raised] = decideAlerts(failing, [], options)
    expect(raised?.alert).toMatchObject({ kind: 'payment_failed', status: 'open', play: 'billing' })
    if (!raised || raised.alert.status === 'resolved') throw new Error('expected open')
    const paid = signal({ subscription: { status: 'active', lastPaidAt: Date.parse('2026-04-28T00:00:00Z'), lastFailedAt: Date.parse('2026-04-25T00:00:00Z') } })
    expect(decideAlerts(paid, [raised.alert], options)).toMatchObject([{ change: 'resolved', alert: { resolution: 'a payment succeeded after the failure' } }])
  })

  it('keeps a cancellation request apart from predicted risk and resolves it when reverted', () => {
    const [raised] = decideAlerts(signal({ subscription: { status: 'canceling', lastFailedAt: null, lastPaidAt: null } }), [], options)
    expect(raised?.alert).toMatchObject({ kind: 'cancel_requested', play: 'discovery_call', details: { reason: null, reasonCategory: 'unknown' } })
    if (!raised || raised.alert.status === 'resolved') throw new Error('expected open')
    expect(decideAlerts(signal(), [raised.alert], options)[0]?.change).toBe('resolved')
  })

  it('raises usage_drop below 30% of the baseline, holds it until 60%, and ignores thin baselines', () => {
    const [raised] = decideAlerts(signal({ events14d: 17, baselineEvents14d: 60 }), [], options)
    expect(raised?.alert.kind).toBe('usage_drop')
    if (!raised || raised.alert.status === 'resolved') throw new Error('expected open')
    expect(decideAlerts(signal({ events14d: 30, baselineEvents14d: 60 }), [raised.alert], options)).toEqual([])
    expect(decideAlerts(signal({ events14d: 36, baselineEvents14d: 60 }), [raised.alert], options)[0]?.change).toBe('resolved')
    expect(decideAlerts(signal({ events14d: 0, baselineEvents14d: 8 }), [], options)).toEqual([])
  })

  it('resolves every live alert when the customer churns and opens none for it', () => {
    const live = decideAlerts(signal({ probability: 0.9, subscription: { status: 'canceling', lastFailedAt: null, lastPaidAt: null } }), [], options)
      .map((c) => c.alert)
      .filter((a): a is LiveAlert => a.status !== 'resolved')
    expect(live.map((a) => a.kind).sort()).toEqual(['cancel_requested', 'risk_high'])
    const changes = decideAlerts(signal({ probability: 0.95, subscription: { status: 'ended', lastFailedAt: null, lastPaidAt: null } }), live, options)
    expect(changes.map((c) => [c.alert.kind, c.change, c.alert.status === 'resolved' ? c.alert.resolution : ''])).toEqual([
      ['risk_high', 'resolved', 'the customer churned'],
      ['cancel_requested', 'resolved', 'the customer churned'],
    ])
  })
})

describe('bands, material changes and plays', () => {
  it.each([
    [0.5, 'high'],
    [0.4999, 'medium'],
    [0.2, 'medium'],
    [0.1999, 'low'],
  ] as const)('%s is %s', (p, band) => expect(bandOf(p, thresholds)).toBe(band))

  it('publishes a band change or a drift of at least the delta since the last published score', () => {
    const previous = { publishedProbability: 0.3, publishedBand: 'medium' as const, modelVersion: 'v1' }
    expect(isMaterialChange(previous, { probability: 0.34, band: 'medium', modelVersion: 'v1' }, 0.05)).toBe(false)
    expect(isMaterialChange(previous, { probability: 0.35, band: 'medium', modelVersion: 'v1' }, 0.05)).toBe(true)
    expect(isMaterialChange(previous, { probability: 0.19, band: 'low', modelVersion: 'v1' }, 0.5)).toBe(true)
    expect(isMaterialChange(previous, { probability: 0.3, band: 'medium', modelVersion: 'v2' }, 0.05)).toBe(true)
    expect(isMaterialChange(undefined, { probability: 0.3, band: 'medium', modelVersion: 'v1' }, 0.05)).toBe(true)
  })

  it('suggests a play from the strongest risk-raising driver and the tenure', () => {
    const play = (feature: string, tenureDays: number) =>
      suggestPlay(plays, 'risk_high', { drivers: [{ feature, value: 1, contribution: 0.5, sentence: 's' }], tenureDays }).play
    expect(play('failed_payments_90d', 400)).toBe('billing')
    expect(play('failed_payments_30d', 400)).toBe('billing')
    expect(play('payment_overdue', 30)).toBe('billing')
    expect(play('cancellation_requested', 400)).toBe('save_offer')
    expect(play('cancel_at_period_end', 400)).toBe('save_offer')
    expect(play('price_change_at_last_renewal', 30)).toBe('save_offer')
    expect(play('days_since_last_activity', 30)).toBe('onboarding')
    expect(play('days_since_last_activity', 400)).toBe('engagement')
    expect(suggestPlay(plays, 'usage_drop', { drivers: [], tenureDays: 10 }).play).toBe('onboarding')
    expect(suggestPlay(plays, 'payment_failed', { drivers: [], tenureDays: 10 }).play).toBe('billing')
  })
})

describe('renewal_at_risk', () => {
  const asOf = Date.parse('2026-05-01T00:00:00Z')
  // An annual contract at 10,000/month: the MRR at stake is the contract value at renewal, 10,000 x 12.
  const renewing = (days: number, probability: number, periodMonths = 12) =>
    signal({ probability, mrr: 10_000, renewal: { at: asOf + days * day, periodMonths } })

  it('opens for medium or high risk renewing within the window, with the renewal date and MRR at stake', () => {
    const changes = decideAlerts(renewing(30, 0.3), [], options)
    expect(changes).toHaveLength(1)
    expect(changes[0]?.alert).toMatchObject({
      kind: 'renewal_at_risk',
      status: 'open',
      play: 'renewal_call',
      details: { renewalAt: '2026-05-31T00:00:00.000Z', mrrAtStake: 120_000 },
    })
  })

  it('does not open for a renewal beyond the window, at low risk, on a monthly plan, or while canceling', () => {
    expect(decideAlerts(renewing(200, 0.3), [], options)).toEqual([])
    expect(decideAlerts(renewing(91, 0.3), [], options)).toEqual([])
    expect(decideAlerts(renewing(30, 0.19), [], options)).toEqual([])
    expect(decideAlerts(renewing(20, 0.3, 1), [], options)).toEqual([])
    const canceling = { ...renewing(30, 0.3), subscription: { status: 'canceling' as const, lastFailedAt: null, lastPaidAt: null } }
    expect(decideAlerts(canceling, [], options).map((c) => c.alert.kind)).toEqual(['cancel_requested'])
    // A shorter window set by RENEWAL_ALERT_DAYS.
    expect(decideAlerts(renewing(30, 0.3), [], { ...options, renewalAlertDays: 14 })).toEqual([])
  })

  it('follows a moved renewal date and resolves when the risk falls below medium or the renewal passes', () => {
    const [opened] = decideAlerts(renewing(30, 0.3), [], options)
    if (!opened || opened.alert.status === 'resolved') throw new Error('expected open')
    expect(decideAlerts(renewing(30, 0.31), [opened.alert], options)).toEqual([])
    const [moved] = decideAlerts(renewing(45, 0.3), [opened.alert], options)
    expect(moved).toMatchObject({ change: 'updated', alert: { alertId: opened.alert.alertId, details: { renewalAt: '2026-06-15T00:00:00.000Z' } } })
    expect(decideAlerts(renewing(30, 0.1), [opened.alert], options)).toMatchObject([
      { change: 'resolved', alert: { resolution: 'risk fell below the medium band' } },
    ])
    expect(decideAlerts(renewing(395, 0.3), [opened.alert], options)).toMatchObject([
      { change: 'resolved', alert: { resolution: 'no renewal within the alert window' } },
    ])
  })
})

describe('cancel_requested plays follow the reason', () => {
  const canceling = (cancelReason: string | null) =>
    signal({ cancelReason, subscription: { status: 'canceling', lastFailedAt: null, lastPaidAt: null } })
  it.each([
    ['too expensive', 'discount_offer', 'price'],
    ['Too_Expensive', 'discount_offer', 'price'],
    ['Pricing went up', 'discount_offer', 'price'],
    ['missing_features', 'product_call', 'missing_feature'],
    ['No Salesforce integration', 'product_call', 'missing_feature'],
    ['unused', 'onboarding', 'not_using'],
    ['We are not using it', 'onboarding', 'not_using'],
    ['switched_service', 'executive_call', 'switching'],
    ['Moving to a competitor', 'executive_call', 'switching'],
    ['other', 'discovery_call', 'unknown'],
    ['', 'discovery_call', 'unknown'],
    [null, 'discovery_call', 'unknown'],
  ] as const)('%j -> %s', (reason, play, category) => {
    const [raised] = decideAlerts(canceling(reason), [], options)
    expect(raised?.alert).toMatchObject({ kind: 'cancel_requested', play, details: { reason, reasonCategory: category } })
  })

  it('matches a phrase only at the start of a word', () => {
    // "cost" is a price phrase, but "accosted" does not start with it.
    expect(decideAlerts(canceling('accosted by sales'), [], options)[0]?.alert.play).toBe('discovery_call')
  })
})
