import { describe, expect, it } from 'vitest'
import { rate } from './rates.js'

describe('rate', () => {
  it.each([
    [1, 3, 0.333333],
    [2, 3, 0.666667],
    [-1000, 2000, -0.5],
    // Rounds to 0, never -0.
    [-1, 10_000_000, 0],
    [5, 0, null],
    [0, 0, null],
  ])('%d / %d is %s', (numerator, denominator, expected) => {
    expect(Object.is(rate(numerator, denominator), expected)).toBe(true)
  })
})
