import { describe, expect, it } from 'vitest'
import { wantsCsv } from './customers.js'

describe('wantsCsv', () => {
  it.each([
    [undefined, false],
    ['application/json', false],
    ['*/*', false],
    ['text/csv', true],
    ['text/csv, application/json', false],
    ['application/json;q=0.5, text/csv', true],
    ['application/json, text/csv;q=0.5', false],
    ['TEXT/CSV; charset=utf-8', true],
  ])('Accept %s -> CSV %s', (accept, expected) => {
    expect(wantsCsv(accept)).toBe(expected)
  })
})
