import { ConfigError, loadConfig } from '@churnwatch/config'
import { describe, expect, it } from 'vitest'
import { apiConfigSchema } from './config.js'

const required = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/churnwatch', KAFKA_BROKERS: '127.0.0.1:9092' }

describe('API configuration', () => {
  it('keeps 256 MB of risk documents by default, and 0 turns the cache off', () => {
    expect(loadConfig(apiConfigSchema, required).RISK_CACHE_MB).toBe(256)
    expect(loadConfig(apiConfigSchema, { ...required, RISK_CACHE_MB: '0' }).RISK_CACHE_MB).toBe(0)
  })

  it.each(['-1', 'lots', '1.5'])('refuses RISK_CACHE_MB=%s at start-up, naming the variable', (value) => {
    let error: unknown
    try {
      loadConfig(apiConfigSchema, { ...required, RISK_CACHE_MB: value, PG_POOL_MAX: '0' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['PG_POOL_MAX', 'RISK_CACHE_MB'])
  })
})
