import { describe, expect, it } from 'vitest'
import { classifyAddress, describeRefusal, refuseAddress } from './address-policy.js'

describe('classifyAddress', () => {
  it.each([
    ['93.184.215.14', 'an IPv4 internet address'],
    ['8.8.8.8', 'a public resolver'],
    ['2606:4700:4700::1111', 'an IPv6 internet address'],
    ['::ffff:93.184.215.14', 'a public IPv4 address mapped into IPv6'],
    ['64:ff9b::8.8.8.8', 'a public IPv4 address behind NAT64'],
    ['172.32.0.1', 'just past 172.16.0.0/12'],
    ['100.128.0.1', 'just past 100.64.0.0/10'],
  ])('%s is public (%s)', (address) => {
    expect(classifyAddress(address)).toEqual({ kind: 'public' })
  })

  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['64:ff9b::127.0.0.1', 'a loopback address'],
    ['10.1.2.3', 'a private-network address'],
    ['172.16.0.1', 'a private-network address'],
    ['172.31.255.255', 'a private-network address'],
    ['192.168.1.10', 'a private-network address'],
    ['::ffff:10.0.0.1', 'a private-network address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['fd12:3456::1', 'a unique-local address'],
    ['fc00::1', 'a unique-local address'],
  ])('%s is private: %s', (address, range) => {
    expect(classifyAddress(address)).toEqual({ kind: 'private', range })
  })

  it.each([
    ['169.254.169.254', 'a link-local address'],
    ['169.254.170.2', 'a link-local address'],
    ['169.254.0.1', 'a link-local address'],
    ['::ffff:169.254.169.254', 'a link-local address'],
    ['64:ff9b::169.254.169.254', 'a link-local address'],
    ['fe80::1', 'a link-local address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['febf::1', 'a link-local address'],
    ['fd00:ec2::254', 'a cloud metadata address'],
    ['100.100.100.200', 'a cloud metadata address'],
    ['168.63.129.16', 'a cloud metadata address'],
    ['0.0.0.0', 'an unspecified address'],
    ['0.1.2.3', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['::ffff:0.0.0.0', 'an unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['255.255.255.255', 'the broadcast address'],
    ['240.0.0.1', 'a reserved address'],
    ['192.0.2.1', 'a reserved address'],
    ['198.18.0.1', 'a reserved address'],
    ['2001:db8::1', 'a reserved address'],
    ['2002:a9fe:a9fe::1', 'a reserved address'],
    ['::7f00:1', 'a reserved address'],
    ['4000::1', 'a reserved address'],
    ['example.com', 'not an IP address'],
    ['', 'not an IP address'],
  ])('%s is never a destination: %s', (address, range) => {
    expect(classifyAddress(address)).toEqual({ kind: 'forbidden', range })
  })
})

describe('refuseAddress', () => {
  const strict = { allowPrivateNetworks: false }
  const lenient = { allowPrivateNetworks: true }

  it('lets public addresses through under either policy', () => {
    expect(refuseAddress('93.184.215.14', strict)).toBeUndefined()
    expect(refuseAddress('2606:4700:4700::1111', lenient)).toBeUndefined()
  })

  it('refuses loopback and private networks unless they are allowed', () => {
    expect(refuseAddress('127.0.0.1', strict)).toEqual({ address: '127.0.0.1', range: 'a loopback address', always: false })
    expect(refuseAddress('::ffff:192.168.0.1', strict)).toMatchObject({ range: 'a private-network address', always: false })
    expect(refuseAddress('127.0.0.1', lenient)).toBeUndefined()
    expect(refuseAddress('fd12::1', lenient)).toBeUndefined()
  })

  it('refuses link-local and metadata addresses even when private networks are allowed', () => {
    expect(refuseAddress('169.254.169.254', lenient)).toEqual({ address: '169.254.169.254', range: 'a link-local address', always: true })
    expect(refuseAddress('fd00:ec2::254', lenient)).toEqual({ address: 'fd00:ec2::254', range: 'a cloud metadata address', always: true })
    expect(refuseAddress('0.0.0.0', lenient)).toMatchObject({ always: true })
  })
})

describe('describeRefusal', () => {
  it('names a literal address, and only the range of a name so that internal DNS is not disclosed', () => {
    const literal = describeRefusal('169.254.169.254', { address: '169.254.169.254', range: 'a link-local address', always: true })
    expect(literal).toBe('169.254.169.254 is a link-local address, which never receives webhooks')
    const name = describeRefusal('db.internal', { address: '10.0.0.7', range: 'a private-network address', always: false })
    expect(name).toBe('db.internal resolves to a private-network address; private networks receive webhooks only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true')
    expect(name).not.toContain('10.0.0.7')
  })
})
