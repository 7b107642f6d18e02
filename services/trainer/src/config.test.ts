import { ConfigError, loadConfig } from '@churnwatch/config'
import { describe, expect, it } from 'vitest'
import { trainerConfigSchema } from './config.js'

const required = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/churnwatch' }

describe('trainer configuration', () => {
  it('trains --model auto by default and still takes logistic or gbdt', () => {
    expect(loadConfig(trainerConfigSchema, required).TRAIN_MODEL).toBe('auto')
    expect(loadConfig(trainerConfigSchema, { ...required, TRAIN_MODEL: 'logistic' }).TRAIN_MODEL).toBe('logistic')
    expect(loadConfig(trainerConfigSchema, { ...required, TRAIN_MODEL: 'gbdt' }).TRAIN_MODEL).toBe('gbdt')
  })

  it('refuses an unknown TRAIN_MODEL at start-up, naming it with every other bad variable', () => {
    let error: unknown
    try {
      loadConfig(trainerConfigSchema, { ...required, TRAIN_MODEL: 'forest', TRAIN_SEED: '-1' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['TRAIN_MODEL', 'TRAIN_SEED'])
    expect((error as ConfigError).message).toContain('TRAIN_MODEL')
  })
})
