import { ConfigError, loadConfig } from '@churnwatch/config'
import { describe, expect, it } from 'vitest'
import { apiConfigSchema } from '../config.js'
import { createSealer, sameToken } from './session.js'

const required = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/churnwatch', KAFKA_BROKERS: '127.0.0.1:9092' }

describe('session cookies', () => {
  const payload = { k: 'cw_0123456789ab_' + 'k'.repeat(43), e: 1_772_370_000_000, c: 'c'.repeat(32) }

  it('opens what it sealed, and nothing sealed under another secret or altered by one bit', () => {
    const sealer = createSealer('s'.repeat(32))
    const value = sealer.seal(payload)
    expect(sealer.open(value)).toEqual(payload)
    expect(value).not.toContain('kkkk')
    expect(createSealer('t'.repeat(32)).open(value)).toBeUndefined()
    const raw = Buffer.from(value, 'base64url')
    raw[20] = (raw[20] ?? 0) ^ 1
    expect(sealer.open(raw.toString('base64url'))).toBeUndefined()
    expect(sealer.open('')).toBeUndefined()
    expect(sealer.open('not base64 at all!')).toBeUndefined()
  })

  it('compares CSRF tokens exactly', () => {
    expect(sameToken('abc', 'abc')).toBe(true)
    expect(sameToken('abc', 'abd')).toBe(false)
    expect(sameToken('abc', 'abcd')).toBe(false)
    expect(sameToken('abc', undefined)).toBe(false)
  })

  it('refuses a SESSION_SECRET shorter than 32 characters at start-up, and defaults to 8-hour sessions', () => {
    let error: unknown
    try {
      loadConfig(apiConfigSchema, { ...required, SESSION_SECRET: 'short', SESSION_TTL_MINUTES: '0' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['SESSION_SECRET', 'SESSION_TTL_MINUTES'])
    const config = loadConfig(apiConfigSchema, required)
    expect(config.SESSION_TTL_MINUTES).toBe(480)
    expect(config.SESSION_SECRET).toBeUndefined()
  })
})
