import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** A service started from its built `dist/main.js` as a process of its own. */
export interface ServiceProcess {
  name: string
  child: ChildProcess
  httpPort: number
  logFile: string
  isAlive: () => boolean
  /** Status of GET /readyz, or 0 when the ops server does not answer. */
  readyz: () => Promise<number>
  /** SIGKILL, and wait for the exit. */
  kill: () => Promise<void>
}

export function startService(options: {
  name: 'feature-builder' | 'scorer'
  env: Record<string, string>
  httpPort: number
  logFile: string
}): ServiceProcess {
  const main = `${ROOT}services/${options.name}/dist/main.js`
  const out = openSync(options.logFile, 'w')
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', ...options.env, HTTP_PORT: String(options.httpPort) },
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  const isAlive = () => child.exitCode === null && child.signalCode === null
  return {
    name: options.name,
    child,
    httpPort: options.httpPort,
    logFile: options.logFile,
    isAlive,
    async readyz() {
      try {
        const response = await fetch(`http://127.0.0.1:${options.httpPort}/readyz`, { signal: AbortSignal.timeout(3_000) })
        return response.status
      } catch {
        return 0
      }
    },
    async kill() {
      if (!isAlive()) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
  }
}

/** How a process ended, for assertion messages. */
export function describeExit(service: ServiceProcess): string {
  const { exitCode, signalCode } = service.child
  return service.isAlive() ? `${service.name} is running` : `${service.name} exited (code ${exitCode}, signal ${signalCode}); log: ${service.logFile}`
}
