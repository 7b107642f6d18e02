import type { LookupAddress } from 'node:dns'
import { describe, expect, it } from 'vitest'
import { createDestinationGuard, type DestinationGuard, type ResolvedAddress, type ResolveHost } from './destination-guard.js'

/** A resolver answering from a table; unknown names fail as getaddrinfo does. */
function table(entries: Record<string, ResolvedAddress[]>): ResolveHost {
  return (hostname) => {
    const found = entries[hostname]
    return found ? Promise.resolve(found) : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }))
  }
}

const v4 = (address: string) => ({ address, family: 4 })
const v6 = (address: string) => ({ address, family: 6 })

const resolver = table({
  'hooks.example.com': [v4('93.184.215.14'), v6('2606:2800:21f:cb07:6820:80da:af6b:8b2c')],
  'metadata.example.com': [v4('169.254.169.254')],
  'mixed.example.com': [v4('93.184.215.14'), v4('10.0.0.8')],
  'internal.example.com': [v4('10.0.0.8')],
})

function lookup(guard: DestinationGuard, hostname: string, options: { all?: boolean; family?: number }) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family: number | undefined }>((resolve) => {
    guard.lookup(hostname, options, (err, address, family) => resolve({ err, address, family }))
  })
}

describe('createDestinationGuard', () => {
  const strict = createDestinationGuard({ allowPrivateNetworks: false, resolveHost: resolver })
  const lenient = createDestinationGuard({ allowPrivateNetworks: true, resolveHost: resolver })

  it.each([
    ['http://127.0.0.1:8080/hooks', '127.0.0.1 is a loopback address'],
    ['http://[::1]:8080/hooks', '::1 is a loopback address'],
    ['http://[::ffff:127.0.0.1]/hooks', '::ffff:7f00:1 is a loopback address'],
    ['http://2130706433/hooks', '127.0.0.1 is a loopback address'],
    ['http://0x7f.1/hooks', '127.0.0.1 is a loopback address'],
    ['https://192.168.0.10/hooks', '192.168.0.10 is a private-network address'],
  ])('refuses the literal host of %s while private networks are not allowed', async (url, start) => {
    const literal = strict.checkLiteral(url)
    expect(literal).toMatchObject({ ok: false, reason: expect.stringMatching(new RegExp(`^${start.replace(/[.[\]]/g, '\\$&')}; private networks`)) })
    expect(await strict.checkUrl(url)).toEqual(literal)
    expect(await lenient.checkUrl(url)).toEqual({ ok: true })
  })

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address, which never receives webhooks'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254 is a cloud metadata address, which never receives webhooks'],
    ['http://[fe80::1]/', 'fe80::1 is a link-local address, which never receives webhooks'],
    ['http://0.0.0.0:8080/', '0.0.0.0 is an unspecified address, which never receives webhooks'],
  ])('refuses %s even where private networks are allowed', async (url, reason) => {
    expect(await lenient.checkUrl(url)).toMatchObject({ ok: false, reason })
  })

  it('refuses a name when any address it resolves to is refused, without naming the address', async () => {
    expect(await lenient.checkUrl('https://metadata.example.com/x')).toEqual({
      ok: false,
      reason: 'metadata.example.com resolves to a link-local address, which never receives webhooks',
      refusal: { address: '169.254.169.254', range: 'a link-local address', always: true },
    })
    expect(await strict.checkUrl('https://mixed.example.com/x')).toMatchObject({
      ok: false,
      reason: 'mixed.example.com resolves to a private-network address; private networks receive webhooks only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true',
    })
    expect(await lenient.checkUrl('https://mixed.example.com/x')).toEqual({ ok: true })
    expect(await strict.checkUrl('https://hooks.example.com/x')).toEqual({ ok: true })
  })

  it('lets a name through that does not resolve (yet), or not in time: delivery checks it again', async () => {
    expect(await strict.checkUrl('https://not-yet.example.com/x')).toEqual({ ok: true })
    const silent = createDestinationGuard({ allowPrivateNetworks: false, resolveHost: () => new Promise(() => undefined), resolveTimeoutMs: 10 })
    expect(await silent.checkUrl('https://slow.example.com/x')).toEqual({ ok: true })
    expect(strict.checkLiteral('https://internal.example.com/x')).toEqual({ ok: true })
  })

  describe('lookup (for net.connect)', () => {
    it('answers every address when net races the families, one address otherwise, and honours the family asked for', async () => {
      expect(await lookup(strict, 'hooks.example.com', { all: true })).toMatchObject({
        err: null,
        address: [v4('93.184.215.14'), v6('2606:2800:21f:cb07:6820:80da:af6b:8b2c')],
      })
      expect(await lookup(strict, 'hooks.example.com', {})).toEqual({ err: null, address: '93.184.215.14', family: 4 })
      expect(await lookup(strict, 'hooks.example.com', { family: 6 })).toEqual({ err: null, address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 })
    })

    it('fails with CW_WEBHOOKS_DESTINATION_REFUSED for a refused address, so no socket is opened', async () => {
      const { err } = await lookup(lenient, 'metadata.example.com', { all: true })
      expect(err).toMatchObject({ code: 'CW_WEBHOOKS_DESTINATION_REFUSED', address: '169.254.169.254' })
      expect((await lookup(strict, 'internal.example.com', {})).err).toMatchObject({ code: 'CW_WEBHOOKS_DESTINATION_REFUSED' })
    })

    it('passes the resolver failure on, as getaddrinfo would', async () => {
      expect((await lookup(strict, 'nowhere.example.com', {})).err).toMatchObject({ code: 'ENOTFOUND' })
    })
  })
})
