import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@churnwatch/config'
import { describe, expect, it } from 'vitest'
import { DEFAULT_PLAYS_FILE, loadPlayBook } from './playbook.js'
import { matchReason, suggestPlay } from './rules/plays.js'

const dir = mkdtempSync(join(tmpdir(), 'cw-plays-'))
const shipped = JSON.parse(readFileSync(DEFAULT_PLAYS_FILE, 'utf8')) as Record<string, unknown>
const write = (name: string, content: unknown) => {
  const file = join(dir, name)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

describe('play book as data', () => {
  it('ships the issue\'s reason plays: price, missing feature, not using, switching, unknown', () => {
    const book = loadPlayBook()
    expect(book.reasons.map((r) => [r.category, r.play])).toEqual([
      ['price', 'discount_offer'],
      ['missing_feature', 'product_call'],
      ['not_using', 'onboarding'],
      ['switching', 'executive_call'],
    ])
    expect(book.unknownReason).toEqual({ category: 'unknown', play: 'discovery_call' })
  })

  it('takes an override file: its own reasons, kinds and fallback', () => {
    const file = write('override.json', {
      ...shipped,
      kinds: { ...(shipped.kinds as object), payment_failed: { play: 'dunning_call' }, renewal_at_risk: { from: 'driver' } },
      reasons: [{ category: 'budget', match: ['budget cut', 'tarif'], play: 'finance_call' }],
      unknownReason: { category: 'unclassified', play: 'csm_call' },
    })
    const book = loadPlayBook(file)
    expect(suggestPlay(book, 'payment_failed', { drivers: [], tenureDays: 400 }).play).toBe('dunning_call')
    expect(suggestPlay(book, 'cancel_requested', { drivers: [], tenureDays: 400, reason: 'Tarifs trop élevés' })).toEqual({ play: 'finance_call', reasonCategory: 'budget' })
    // Shipped phrases are gone with the shipped rules.
    expect(matchReason(book, 'too expensive')).toEqual({ category: 'unclassified', play: 'csm_call' })
    const driver = [{ feature: 'payment_overdue', value: 1, contribution: 0.4, sentence: 's' }]
    expect(suggestPlay(book, 'renewal_at_risk', { drivers: driver, tenureDays: 400 }).play).toBe('billing')
  })

  it('refuses a bad file, listing every bad entry with its path', () => {
    const kinds = { ...(shipped.kinds as Record<string, unknown>) }
    delete kinds.usage_drop
    const file = write('bad.json', {
      ...shipped,
      kinds: { ...kinds, risk_high: { from: 'mood' }, payment_failed: { from: 'reason' }, made_up: { play: 'x' } },
      reasons: [
        { category: 'price', match: [], play: 'discount_offer' },
        { category: 'price', match: ['!!'], play: 'Discount Offer' },
      ],
    })
    let error: unknown
    try {
      loadPlayBook(file)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const issues = (error as ConfigError).issues.map((i) => i.variable.replace(`PLAYS_FILE (${file}) `, ''))
    expect(issues).toEqual(
      expect.arrayContaining([
        'kinds.usage_drop',
        'kinds.risk_high',
        'kinds',
        'reasons.0.match',
        'reasons.1.match.0',
        'reasons.1.play',
      ]),
    )
    expect((error as ConfigError).issues.find((i) => i.variable.endsWith('kinds'))?.message).toMatch(/made_up/)
  })

  it('names the file when it is not JSON or missing', () => {
    expect(() => loadPlayBook(write('broken.json', '{ "kinds": '))).toThrow(/PLAYS_FILE \(.*broken\.json\)/)
    expect(() => loadPlayBook(join(dir, 'absent.json'))).toThrow(/ENOENT/)
  })
})
