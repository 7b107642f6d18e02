import { describe, expect, it } from 'vitest'
import { toCsvRow } from './score.js'

describe('score CSV rows', () => {
  it('writes a client-supplied customer id that looks like a formula as text, with CRLF', () => {
    const row = toCsvRow({
      customerId: '=HYPERLINK("http://evil.example","click")',
      probability: 0.4321234,
      band: 'high',
      revenueAtRisk: 2117,
      drivers: [{ feature: 'days_since_last_activity', value: 21, contribution: 0.8, sentence: 'No activity for 21 days, "quiet"' }],
    })
    expect(row).toBe(`"'=HYPERLINK(""http://evil.example"",""click"")",0.432123,high,2117,"No activity for 21 days, ""quiet""",,\r\n`)
  })

  it.each(['+1-555-0100', '-acme', '@acme', '\tacme'])('defuses the customer id %j', (customerId) => {
    const row = toCsvRow({ customerId, probability: 0.1, band: 'low', revenueAtRisk: 0, drivers: [] })
    expect(row.startsWith(`'${customerId}`) || row.startsWith(`"'${customerId}`)).toBe(true)
  })
})
