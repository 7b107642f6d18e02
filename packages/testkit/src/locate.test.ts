import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { locateInfra } from './locate.js'

describe('locateInfra', () => {
  const root = mkdtempSync(join(tmpdir(), 'cw-locate-'))
  const nested = join(root, 'packages', 'storage')
  mkdirSync(nested, { recursive: true })

  it('prefers KAFKA_BROKERS and DATABASE_URL from the environment', () => {
    const found = locateInfra({ KAFKA_BROKERS: 'a:1,b:2', DATABASE_URL: 'postgres://x/db' }, nested)
    expect(found).toEqual({ kafkaBrokers: ['a:1', 'b:2'], databaseUrl: 'postgres://x/db', source: 'environment' })
  })

  it('returns nothing when neither the environment nor infra knows', () => {
    expect(locateInfra({}, nested)).toBeUndefined()
  })

  it('finds .infra/env.json written by infra up in a parent folder', () => {
    mkdirSync(join(root, '.infra'), { recursive: true })
    writeFileSync(
      join(root, '.infra', 'env.json'),
      JSON.stringify({ KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/churnwatch' }),
    )
    expect(locateInfra({}, nested)).toEqual({
      kafkaBrokers: ['127.0.0.1:9092'],
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/churnwatch',
      source: 'infra',
    })
  })
})
