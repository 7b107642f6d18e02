// Every view is a deep link: the page and its filters live in the URL hash (#/worklist?band=high).

export type Route =
  | { page: 'worklist'; params: URLSearchParams }
  | { page: 'account'; customerId: string; params: URLSearchParams }
  | { page: 'alerts'; params: URLSearchParams }
  | { page: 'metrics'; params: URLSearchParams }
  | { page: 'not-found'; path: string; params: URLSearchParams }

/** The route a location hash names; an empty hash is the worklist. */
export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, '')
  const [rawPath = '', query = ''] = text.split('?', 2)
  const params = new URLSearchParams(query)
  const path = rawPath === '' || rawPath === '/' ? '/worklist' : rawPath
  if (path === '/worklist') return { page: 'worklist', params }
  if (path === '/alerts') return { page: 'alerts', params }
  if (path === '/metrics') return { page: 'metrics', params }
  const account = /^\/customers\/([^/]+)$/.exec(path)
  if (account?.[1]) {
    try {
      return { page: 'account', customerId: decodeURIComponent(account[1]), params }
    } catch {
      return { page: 'not-found', path, params }
    }
  }
  return { page: 'not-found', path, params }
}

/** A hash for a page and its parameters (empty values left out, keys in a stable order). */
export function hashFor(path: string, params: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams()
  for (const key of Object.keys(params).sort()) {
    const value = params[key]
    if (value !== undefined && value !== '') search.set(key, value)
  }
  const query = search.toString()
  return `#${path}${query ? `?${query}` : ''}`
}

export const accountHash = (customerId: string) => hashFor(`/customers/${encodeURIComponent(customerId)}`)

/** The comma-separated list in a parameter, keeping only allowed values, in the allowed order. */
export function listParam<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T[] {
  const given = new Set((params.get(name) ?? '').split(',').map((v) => v.trim()))
  return allowed.filter((v) => given.has(v))
}

/** Adds or removes one value of a list parameter, keeping the allowed order. */
export function toggled<T extends string>(current: readonly T[], value: T, allowed: readonly T[]): T[] {
  const next = new Set(current)
  if (next.has(value)) next.delete(value)
  else next.add(value)
  return allowed.filter((v) => next.has(v))
}
