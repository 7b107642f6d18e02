import { describe, expect, it } from 'vitest'
import { collectScope } from './keys.js'

describe('keys create --scope', () => {
  it('accepts alerts:write beside the other scopes, repeated', () => {
    expect(collectScope('read', collectScope('alerts:write'))).toEqual(['alerts:write', 'read'])
  })

  it('refuses an unknown scope, listing the four it knows', () => {
    expect(() => collectScope('alerts:read')).toThrow('--scope must be one of read, events:write, alerts:write, admin, got "alerts:read"')
  })
})
