import { describe, expect, it } from 'vitest'
import { accountHash, hashFor, listParam, parseHash, toggled } from './route.js'
import { RISK_BANDS } from './types.js'

describe('routes in the URL hash', () => {
  it('reads pages and their filters, the worklist by default', () => {
    expect(parseHash('').page).toBe('worklist')
    const worklist = parseHash('#/worklist?band=high,medium&sort=probability')
    expect(worklist.page).toBe('worklist')
    expect(worklist.params.get('sort')).toBe('probability')
    expect(parseHash('#/alerts?kind=usage_drop').params.get('kind')).toBe('usage_drop')
    expect(parseHash('#/metrics?interval=week').page).toBe('metrics')
    expect(parseHash('#/nowhere')).toMatchObject({ page: 'not-found', path: '/nowhere' })
  })

  it('round-trips customer ids that need escaping', () => {
    const hash = accountHash('acme/eu 1')
    expect(hash).toBe('#/customers/acme%2Feu%201')
    expect(parseHash(hash)).toMatchObject({ page: 'account', customerId: 'acme/eu 1' })
    expect(parseHash('#/customers/%E0%A4%A')).toMatchObject({ page: 'not-found' })
  })

  it('writes parameters in a stable order and leaves empty ones out', () => {
    expect(hashFor('/worklist', { sort: 'probability', band: 'high,low', cursor: undefined, minProbability: '' })).toBe('#/worklist?band=high%2Clow&sort=probability')
    expect(hashFor('/alerts')).toBe('#/alerts')
  })

  it('keeps only known list values, in their canonical order, and toggles one', () => {
    const params = new URLSearchParams('band=low,bogus,high')
    expect(listParam(params, 'band', RISK_BANDS)).toEqual(['high', 'low'])
    expect(toggled(['high', 'low'], 'medium', RISK_BANDS)).toEqual(['high', 'medium', 'low'])
    expect(toggled(['high', 'low'], 'high', RISK_BANDS)).toEqual(['low'])
  })
})
