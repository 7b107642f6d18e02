import { describe, expect, it } from 'vitest'
import { ChurnwatchError, CONTRACT_ERROR_CODES, isChurnwatchError, isRetriable } from './errors.js'

describe('ChurnwatchError', () => {
  it('carries its code, name, message and cause', () => {
    const cause = new Error('connection refused')
    const err = new ChurnwatchError('CW_STORAGE_UNAVAILABLE', 'database unreachable', { retriable: true, cause })
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({ name: 'ChurnwatchError', code: 'CW_STORAGE_UNAVAILABLE', message: 'database unreachable', cause })
    expect(isChurnwatchError(err)).toBe(true)
    expect(isChurnwatchError(cause)).toBe(false)
  })

  it('names the invalid-event code in CW_<AREA>_<WHAT> form', () => {
    expect(CONTRACT_ERROR_CODES.invalidEvent).toBe('CW_CONTRACT_INVALID_EVENT')
  })
})

describe('isRetriable', () => {
  it.each([
    { name: 'a ChurnwatchError marked retriable', err: new ChurnwatchError('CW_X_Y', 'm', { retriable: true }), expected: true },
    { name: 'a ChurnwatchError not marked', err: new ChurnwatchError('CW_X_Y', 'm'), expected: false },
    { name: 'a ChurnwatchError marked not retriable', err: new ChurnwatchError('CW_X_Y', 'm', { retriable: false }), expected: false },
    { name: 'a kafkajs-style error with retriable: true', err: Object.assign(new Error('broker'), { retriable: true }), expected: true },
    { name: 'an error with a non-boolean retriable', err: Object.assign(new Error('odd'), { retriable: 'yes' }), expected: false },
    { name: 'a TypeError (programmer error)', err: new TypeError('x is undefined'), expected: false },
    { name: 'a thrown string', err: 'boom', expected: false },
    { name: 'null', err: null, expected: false },
  ])('is $expected for $name', ({ err, expected }) => {
    expect(isRetriable(err)).toBe(expected)
  })
})
