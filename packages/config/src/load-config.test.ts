import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConfigError, loadConfig } from './load-config.js'

const schema = z.object({
  DATABASE_URL: z.url(),
  KAFKA_BROKERS: z
    .string()
    .min(1)
    .transform((s) => s.split(',')),
  SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  LOG_LEVEL: z.enum(['info', 'debug']).default('info'),
})

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgres://localhost/churnwatch',
      KAFKA_BROKERS: 'a:9092,b:9092',
      SWEEP_INTERVAL_MS: '',
    })
    expect(config).toEqual({
      DATABASE_URL: 'postgres://localhost/churnwatch',
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      SWEEP_INTERVAL_MS: 60_000,
      LOG_LEVEL: 'info',
    })
  })

  it('lists every bad variable in one error', () => {
    let caught: unknown
    try {
      loadConfig(schema, { DATABASE_URL: 'not a url', SWEEP_INTERVAL_MS: '-5', LOG_LEVEL: 'loud' })
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ConfigError)
    const error = caught as ConfigError
    expect(error.issues.map((i) => i.variable).sort()).toEqual([
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'LOG_LEVEL',
      'SWEEP_INTERVAL_MS',
    ])
    expect(error.issues.find((i) => i.variable === 'KAFKA_BROKERS')?.message).toBe('is required')
    expect(error.message).toContain('SWEEP_INTERVAL_MS:')
    expect(error.message).toContain('LOG_LEVEL:')
  })
})
