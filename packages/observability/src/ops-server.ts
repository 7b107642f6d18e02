import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export interface OpsServer {
  /** The port actually bound (useful with port 0). */
  port: number
  close: () => Promise<void>
}

/** A readiness check: true when the dependency it names is usable now. */
export type ReadinessCheck = () => boolean | Promise<boolean>

const CHECK_TIMEOUT_MS = 3_000

/**
 * Serves `/metrics` (Prometheus text), `/healthz` (the process is up) and `/readyz` (503 until
 * `isReady` and every named check say the service can do its work, with each check's result in
 * the body) for services without an HTTP API of their own. `/healthz` stays 200 while a
 * dependency is down: the process recovers by itself, so restarting it would not help.
 */
export async function startOpsServer(options: {
  port: number
  host?: string
  registry: Registry
  isReady: ReadinessCheck
  /** Dependencies the service needs besides `isReady` (e.g. `database`); a check that throws or takes over 3 s fails. */
  checks?: Record<string, ReadinessCheck>
}): Promise<OpsServer> {
  const checks: Record<string, ReadinessCheck> = { ...options.checks, service: options.isReady }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type })
      res.end(body)
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => send(200, text, options.registry.contentType),
        (err: unknown) => send(500, JSON.stringify({ status: 'error', detail: String(err) })),
      )
    } else if (path === '/healthz') {
      send(200, JSON.stringify({ status: 'ok' }))
    } else if (path === '/readyz') {
      void runChecks(checks).then((results) => {
        const ready = Object.values(results).every((r) => r.status === 'ok')
        send(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks: results }))
      })
    } else {
      send(404, JSON.stringify({ status: 'not_found' }))
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

// The body names each check as the API's /readyz does: { status, checks: { database: { status: 'ok' } } }.
async function runChecks(checks: Record<string, ReadinessCheck>): Promise<Record<string, { status: 'ok' | 'failing' }>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)
      })
      const ok = await Promise.race([Promise.resolve().then(check), timeout]).catch(() => false)
      clearTimeout(timer)
      return [name, { status: ok ? 'ok' : 'failing' }] as const
    }),
  )
  return Object.fromEntries(entries)
}
