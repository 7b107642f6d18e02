import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import { describeRefusal, refuseAddress, type AddressRefusal, type DestinationPolicy } from './address-policy.js'
import { destinationRefusedError } from './errors.js'

export interface ResolvedAddress {
  address: string
  /** 4 or 6. */
  family: number
}

/** Every address a host name resolves to, as the system resolver (getaddrinfo, /etc/hosts) answers. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>

export const systemResolveHost: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true })

export interface DestinationGuardOptions extends DestinationPolicy {
  /** Injected by tests that need a name resolving to an address no local resolver returns. */
  resolveHost?: ResolveHost
  /** How long `checkUrl` waits for the resolver before letting the URL through unresolved. */
  resolveTimeoutMs?: number
}

export type DestinationCheck = { ok: true } | { ok: false; reason: string; refusal: AddressRefusal }

export interface DestinationGuard {
  /**
   * Checks a URL before it is stored: a literal address as it is, a name by resolving it now (refused
   * when any address it resolves to is). A name that does not resolve passes: it may exist later,
   * and every delivery checks again.
   */
  checkUrl: (url: string) => Promise<DestinationCheck>
  /** The literal-address half of checkUrl, synchronous: connecting to a literal never calls `lookup`. */
  checkLiteral: (url: string) => DestinationCheck
  /**
   * A `lookup` for net/tls connections: resolves with resolveHost and fails with
   * CW_WEBHOOKS_DESTINATION_REFUSED when any address is refused, so the socket connects only to an
   * address this check saw (no second resolution that DNS rebinding could answer differently).
   */
  lookup: LookupFunction
}

export function createDestinationGuard(options: DestinationGuardOptions): DestinationGuard {
  const policy: DestinationPolicy = { allowPrivateNetworks: options.allowPrivateNetworks }
  const resolveHost = options.resolveHost ?? systemResolveHost
  const resolveTimeoutMs = options.resolveTimeoutMs ?? 5_000

  function checkAddresses(host: string, addresses: readonly string[]): DestinationCheck {
    for (const address of addresses) {
      const refusal = refuseAddress(address, policy)
      if (refusal) return { ok: false, reason: describeRefusal(host, refusal), refusal }
    }
    return { ok: true }
  }

  function checkLiteral(url: string): DestinationCheck {
    const host = urlHost(url)
    return isIP(host) ? checkAddresses(host, [host]) : { ok: true }
  }

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolveHost(hostname).then(
      (resolved) => {
        const check = checkAddresses(hostname, resolved.map((r) => r.address))
        if (!check.ok) {
          callback(destinationRefusedError(check.reason, check.refusal.address), '', 0)
          return
        }
        const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family
        const usable = family === 4 || family === 6 ? resolved.filter((r) => r.family === family) : resolved
        const first = usable[0]
        if (!first) {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 0)
          return
        }
        // net asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
        if (lookupOptions.all) callback(null, usable)
        else callback(null, first.address, first.family)
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), '', 0),
    )
  }

  return {
    checkLiteral,
    lookup,
    async checkUrl(url) {
      const literal = checkLiteral(url)
      const host = urlHost(url)
      if (!literal.ok || isIP(host)) return literal
      const resolved = await withTimeout(resolveHost(host), resolveTimeoutMs)
      return resolved ? checkAddresses(host, resolved.map((r) => r.address)) : { ok: true }
    },
  }
}

/** The URL's host as a socket would see it: WHATWG-normalised, IPv6 without brackets. */
function urlHost(url: string): string {
  const host = new URL(url).hostname
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** The resolved addresses, or undefined when the name does not resolve in time. */
async function withTimeout(resolving: Promise<ResolvedAddress[]>, timeoutMs: number): Promise<ResolvedAddress[] | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs)
  })
  try {
    // An unknown name (ENOTFOUND) or a resolver failure is not a refusal: delivery checks again.
    return await Promise.race([resolving.catch(() => undefined), timeout])
  } finally {
    clearTimeout(timer)
  }
}
