import ipaddr from 'ipaddr.js'

/**
 * Where an address leads, for deciding whether a webhook may be sent there:
 * `public` is globally routable unicast; `private` is this host or an internal network (refused
 * unless private networks are allowed); `forbidden` is never a webhook destination (link-local,
 * cloud metadata, unspecified, multicast, broadcast, reserved and documentation ranges).
 */
export type AddressClass =
  | { kind: 'public' }
  | { kind: 'private'; range: string }
  | { kind: 'forbidden'; range: string }

export interface DestinationPolicy {
  /** Allow loopback, RFC 1918, carrier-grade NAT and unique-local (fc00::/7) destinations. */
  allowPrivateNetworks: boolean
}

/** Why an address is refused; `range` reads as a noun phrase ("a loopback address"). */
export interface AddressRefusal {
  address: string
  range: string
  /** True for addresses refused whatever the policy. */
  always: boolean
}

// Instance-metadata services that answer on addresses outside link-local (Alibaba in 100.64/10,
// Azure's WireServer in public space, AWS over IPv6 in fc00::/7); the IPv4 link-local ones
// (169.254.169.254, ECS's 169.254.170.2) are covered by refusing 169.254.0.0/16.
const METADATA_ADDRESSES = new Set(['100.100.100.200', '168.63.129.16', 'fd00:ec2::254'])

const PRIVATE_RANGES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
  carrierGradeNat: 'a carrier-grade NAT address',
  uniqueLocal: 'a unique-local address',
  deprecatedSiteLocal: 'a site-local address',
}

const FORBIDDEN_RANGES: Record<string, string> = {
  linkLocal: 'a link-local address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
}

/** Everything IANA has not made globally reachable unicast, and ranges not listed above. */
const OTHER_FORBIDDEN = 'a reserved address'

// 2000::/3 is all IPv6 global unicast; ipaddr.js calls anything it has no name for "unicast".
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3')
// RFC 6052's well-known NAT64 prefix: the last 32 bits are the IPv4 address reached.
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96')

/**
 * Classifies an IP address (v4, v6, IPv4-mapped v6, NAT64, with or without a %zone). A string
 * that is not an IP address is `forbidden`: the caller resolves names first.
 */
export function classifyAddress(address: string): AddressClass {
  if (!ipaddr.isValid(address)) return { kind: 'forbidden', range: 'not an IP address' }
  const parsed = ipaddr.parse(address)
  return parsed.kind() === 'ipv4' ? classifyV4(parsed as ipaddr.IPv4) : classifyV6(parsed as ipaddr.IPv6)
}

function classifyV4(ip: ipaddr.IPv4): AddressClass {
  if (METADATA_ADDRESSES.has(ip.toString())) return { kind: 'forbidden', range: 'a cloud metadata address' }
  return byRange(ip.range())
}

function classifyV6(ip: ipaddr.IPv6): AddressClass {
  // The zone only picks an interface; the address decides where the packet goes.
  const bare = new ipaddr.IPv6(ip.parts)
  if (METADATA_ADDRESSES.has(bare.toString())) return { kind: 'forbidden', range: 'a cloud metadata address' }
  // ::ffff:a.b.c.d reaches a.b.c.d over IPv4; 64:ff9b::a.b.c.d reaches it through a NAT64 gateway.
  if (bare.isIPv4MappedAddress()) return classifyV4(bare.toIPv4Address())
  if (bare.match(NAT64_WELL_KNOWN)) return classifyV4(new ipaddr.IPv4(bare.toByteArray().slice(12)))
  const range = bare.range()
  if (range === 'unicast' && !bare.match(GLOBAL_UNICAST_V6)) return { kind: 'forbidden', range: OTHER_FORBIDDEN }
  return byRange(range)
}

/** ipaddr.js's range name to a class; a name it adds later is refused until listed here. */
function byRange(range: string): AddressClass {
  if (range === 'unicast') return { kind: 'public' }
  const privateRange = PRIVATE_RANGES[range]
  if (privateRange) return { kind: 'private', range: privateRange }
  return { kind: 'forbidden', range: FORBIDDEN_RANGES[range] ?? OTHER_FORBIDDEN }
}

/** Why `address` may not receive webhooks under `policy`, or undefined when it may. */
export function refuseAddress(address: string, policy: DestinationPolicy): AddressRefusal | undefined {
  const found = classifyAddress(address)
  if (found.kind === 'public') return undefined
  if (found.kind === 'private' && policy.allowPrivateNetworks) return undefined
  return { address, range: found.range, always: found.kind === 'forbidden' }
}

/**
 * The sentence for a refusal, as the API and the delivery log show it. A name's resolved address
 * stays out of it: the sentence goes back to API clients, who should not learn internal DNS.
 */
export function describeRefusal(host: string, refusal: AddressRefusal): string {
  const what = host === refusal.address ? `${host} is ${refusal.range}` : `${host} resolves to ${refusal.range}`
  return refusal.always
    ? `${what}, which never receives webhooks`
    : `${what}; private networks receive webhooks only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true`
}
