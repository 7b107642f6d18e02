import type { Alert, ChurnMetrics, RetentionCohort, HistoryEntry, ModelDetail, Risk, RiskPage, Session } from './types.js'

/** An API error, with the problem+json title and detail the API sent (RFC 9457). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${title}: ${detail}`)
    this.name = 'ApiProblem'
  }
}

let csrfToken: string | undefined
let onUnauthorized: () => void = () => undefined

/** The session's CSRF token (sent with every write) and what to do when the session has ended. */
export function configureClient(options: { csrfToken: string | undefined; onUnauthorized?: () => void }): void {
  csrfToken = options.csrfToken
  if (options.onUnauthorized) onUnauthorized = options.onUnauthorized
}

async function problemOf(response: Response): Promise<ApiProblem> {
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('json')) {
    try {
      const problem = (await response.json()) as { title?: string; detail?: string }
      return new ApiProblem(response.status, problem.title ?? response.statusText, problem.detail ?? '')
    } catch {
      // fall through: a body that is not JSON after all
    }
  }
  return new ApiProblem(response.status, response.statusText || 'Request failed', `the API answered ${response.status}`)
}

/** One call to the v1 API on this origin, authenticated by the session cookie. */
export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, options: { quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken
  let response: Response
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  } catch (err) {
    throw new ApiProblem(0, 'The API did not answer', err instanceof Error ? err.message : String(err))
  }
  if (!response.ok) {
    const problem = await problemOf(response)
    if (response.status === 401 && !options.quiet401) onUnauthorized()
    throw problem
  }
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

const q = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v))
  const text = search.toString()
  return text ? `?${text}` : ''
}

export const api = {
  session: () => call<Session>('GET', '/v1/session', undefined, { quiet401: true }),
  signIn: (key: string) => call<Session>('POST', '/v1/session', { key }, { quiet401: true }),
  signOut: () => call<undefined>('DELETE', '/v1/session'),
  customers: (params: { sort: string; band?: string; minProbability?: string; limit: number; cursor?: string }) =>
    call<RiskPage>('GET', `/v1/customers${q(params)}`),
  risk: (id: string) => call<Risk>('GET', `/v1/customers/${encodeURIComponent(id)}/risk`),
  history: (id: string) => call<{ data: HistoryEntry[] }>('GET', `/v1/customers/${encodeURIComponent(id)}/risk/history?limit=500`),
  alerts: (params: { status?: string; kind?: string; customerId?: string; snoozed?: 'exclude' | 'include' | 'only'; limit: number; cursor?: string }) =>
    call<{ data: Alert[]; nextCursor: string | null }>('GET', `/v1/alerts${q(params)}`),
  acknowledge: (alertId: string) => call<Alert>('POST', `/v1/alerts/${encodeURIComponent(alertId)}/ack`),
  resolve: (alertId: string, resolution?: string) => call<Alert>('POST', `/v1/alerts/${encodeURIComponent(alertId)}/resolve`, resolution ? { resolution } : {}),
  churn: (params: { interval: string; from?: string; to?: string }) => call<ChurnMetrics>('GET', `/v1/metrics/churn${q(params)}`),
  retention: (params: { asOf?: string }) => call<{ asOf: string; cohorts: RetentionCohort[] }>('GET', `/v1/metrics/retention${q({ cohort: 'month', ...params })}`),
  model: (version: string) => call<ModelDetail>('GET', `/v1/models/${encodeURIComponent(version)}`),
}

/** Whether the session may change alerts (the API checks again). */
export function canChangeAlerts(session: Session | null): boolean {
  return session !== null && (session.scopes.includes('admin') || session.scopes.includes('alerts:write'))
}
