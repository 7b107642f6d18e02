import { describe, expect, it } from 'vitest'
import { csvCell, worklistCsv } from './csv.js'
import { heatClass, topReasons } from './pages/metrics.js'
import { formatLocal, formatMoney, formatPercent, formatPointChange, formatUtc } from './format.js'
import type { RiskListItem } from './types.js'

describe('formatting', () => {
  it('shows minor units as money in the currency’s own digits', () => {
    expect(formatMoney(123_456, 'USD', 'en-US')).toBe('$1,234.56')
    expect(formatMoney(3_969, 'EUR', 'de-DE')).toBe('39,69\u00a0€')
    // JPY has no minor unit: 1234 minor units are ¥1,234.
    expect(formatMoney(1_234, 'JPY', 'en-US')).toBe('¥1,234')
  })

  it('shows probabilities as percentages and moves as points', () => {
    expect(formatPercent(0.8123, 'en-US')).toBe('81.2%')
    expect(formatPointChange(0.42, 0.55)).toBe('+13.0 pts')
    expect(formatPointChange(0.55, 0.42)).toBe('−13.0 pts')
    expect(formatPointChange(0.5, 0.5)).toBe('±0.0 pts')
  })

  it('shows instants in the browser zone, with UTC for the hover', () => {
    expect(formatLocal('2026-03-01T12:00:00.000Z', 'en-US', 'Europe/Paris')).toBe('Mar 1, 2026, 1:00 PM')
    expect(formatLocal('2026-03-01T12:00:00.000Z', 'en-US', 'America/New_York')).toBe('Mar 1, 2026, 7:00 AM')
    expect(formatUtc('2026-03-01T12:00:00.000Z')).toBe('2026-03-01 12:00:00 UTC')
  })
})

describe('worklist CSV', () => {
  const row = (customerId: string, overrides: Partial<RiskListItem> = {}): RiskListItem => ({
    customerId,
    probability: 0.81,
    band: 'high',
    revenueAtRisk: 3_969,
    mrr: 4_900,
    plan: 'pro',
    drivers: [{ feature: 'days_since_last_activity', value: 21, contribution: 0.8, sentence: 'No product usage in the last 21 days' }],
    modelVersion: 'gbdt-1',
    asOf: '2026-03-01T12:00:00.000Z',
    scoredAt: '2026-03-01T12:00:05.000Z',
    changeSeq: 1,
    ...overrides,
  })

  it('writes exactly the rows shown, quoting what needs it and defusing formulas', () => {
    expect(worklistCsv([row('acme'), row('=cmd', { plan: null, drivers: [{ feature: 'x', value: 1, contribution: 1, sentence: 'said "hi", left' }] })])).toBe(
      'customerId,band,probability,revenueAtRisk,mrr,plan,topDriver,scoredAt\r\n' +
        'acme,high,0.81,3969,4900,pro,No product usage in the last 21 days,2026-03-01T12:00:05.000Z\r\n' +
        `'=cmd,high,0.81,3969,4900,,"said ""hi"", left",2026-03-01T12:00:05.000Z\r\n`,
    )
    expect(csvCell(-5)).toBe('-5')
    expect(csvCell('-5')).toBe("'-5")
  })
})

describe('metrics table', () => {
  it('lists the top cancellation reasons, largest first, ties by name', () => {
    expect(topReasons({ too_expensive: 1, payment_failed: 3, no_value: 1, other: 1 })).toBe('payment_failed (3), no_value (1), other (1)')
    expect(topReasons({})).toBe('—')
  })

  it('shades retention in fifths', () => {
    expect([0, 0.19, 0.2, 0.5, 0.79, 0.8, 1].map(heatClass)).toEqual(['heat-0', 'heat-0', 'heat-1', 'heat-2', 'heat-3', 'heat-4', 'heat-4'])
  })
})
