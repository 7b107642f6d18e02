import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { databaseUrl, envBoolean, kafkaBrokers, kafkaSessionTimeoutMs, kafkaTopicPrefix, logLevel, tcpPort } from './fields.js'
import { ConfigError, loadConfig } from './load-config.js'

const schema = z.object({
  DATABASE_URL: databaseUrl(),
  KAFKA_BROKERS: kafkaBrokers(),
  KAFKA_TOPIC_PREFIX: kafkaTopicPrefix(),
  KAFKA_SESSION_TIMEOUT_MS: kafkaSessionTimeoutMs(),
  HTTP_PORT: tcpPort(9464),
  LOG_LEVEL: logLevel('warn'),
})

describe('shared config fields', () => {
  it('parses brokers into a trimmed list and fills defaults', () => {
    expect(loadConfig(schema, { DATABASE_URL: 'postgres://localhost/db', KAFKA_BROKERS: ' a:9092 , b:9092,' })).toEqual({
      DATABASE_URL: 'postgres://localhost/db',
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      KAFKA_TOPIC_PREFIX: '',
      KAFKA_SESSION_TIMEOUT_MS: 30_000,
      HTTP_PORT: 9464,
      LOG_LEVEL: 'warn',
    })
  })

  it('names every bad variable at once', () => {
    const env = { DATABASE_URL: 'not a url', KAFKA_BROKERS: ' , ', KAFKA_SESSION_TIMEOUT_MS: '100', HTTP_PORT: '70000', LOG_LEVEL: 'loud' }
    let error: unknown
    try {
      loadConfig(schema, env)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues.map((i) => i.variable).sort()).toEqual([
      'DATABASE_URL',
      'HTTP_PORT',
      'KAFKA_BROKERS',
      'KAFKA_SESSION_TIMEOUT_MS',
      'LOG_LEVEL',
    ])
  })
})

describe('envBoolean', () => {
  const flags = z.object({ ON_BY_DEFAULT: envBoolean(true), OFF_BY_DEFAULT: envBoolean(false) })

  it('reads true and false, falling back to the default when unset', () => {
    expect(loadConfig(flags, {})).toEqual({ ON_BY_DEFAULT: true, OFF_BY_DEFAULT: false })
    expect(loadConfig(flags, { ON_BY_DEFAULT: 'false', OFF_BY_DEFAULT: 'true' })).toEqual({ ON_BY_DEFAULT: false, OFF_BY_DEFAULT: true })
  })

  it('refuses anything else rather than guessing', () => {
    expect(() => loadConfig(flags, { OFF_BY_DEFAULT: 'yes' })).toThrow(/OFF_BY_DEFAULT: must be true or false/)
  })
})
