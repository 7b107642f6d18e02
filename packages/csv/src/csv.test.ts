import { describe, expect, it } from 'vitest'
import { csvField, csvLine } from './csv.js'

describe('csvField', () => {
  it.each([
    [null, ''],
    [undefined, ''],
    [0.25, '0.25'],
    ['plain', 'plain'],
    ['with, comma', '"with, comma"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@sum', "'@sum"],
    ['\tTAB', "'\tTAB"],
    ['\r=1+1', `"'\r=1+1"`],
    ['a=1', 'a=1'],
  ])('writes %j as %s', (value, expected) => {
    expect(csvField(value)).toBe(expected)
  })

  it('ends a line with CRLF', () => {
    expect(csvLine(['a', 1, null])).toBe('a,1,\r\n')
  })

  it('keeps a formula-like customer id as text in a whole line, and negative numbers as numbers', () => {
    expect(csvLine(['=HYPERLINK("http://evil.example","x")', -3, 'high'])).toBe(`"'=HYPERLINK(""http://evil.example"",""x"")",-3,high\r\n`)
  })
})
