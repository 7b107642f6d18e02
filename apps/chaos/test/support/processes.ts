import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The compiled entry points (`npx turbo run build` first): the suite crashes real processes. */
export const FEATURE_BUILDER_MAIN = fileURLToPath(new URL('../../../../services/feature-builder/dist/main.js', import.meta.url))
export const SCORER_MAIN = fileURLToPath(new URL('../../../../services/scorer/dist/main.js', import.meta.url))

export interface ServiceProcess {
  child: ChildProcess
  /** Resolves with the exit code and signal; already-exited processes resolve at once. */
  exited: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** kill -9 and wait for the exit: the process gets no chance to finish anything. */
  killHard: () => Promise<void>
  /** True until the process exits. */
  alive: () => boolean
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  tail: () => string
  /** Resolves with the first JSON log line whose `msg` equals `message`. */
  logged: (message: string) => Promise<Record<string, unknown>>
}

/** Starts `node main` with `env` added to this process's environment. */
export function startService(main: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [main], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters: Array<{ message: string; resolve: (line: Record<string, unknown>) => void }> = []
  const onLine = (line: string) => {
    lines.push(line)
    if (lines.length > 50) lines.shift()
    if (waiters.length === 0 || !line.startsWith('{')) return
    let parsed: Record<string, unknown>
    try {
      parsed = JSON.parse(line) as Record<string, unknown>
    } catch {
      // Not a pino line (e.g. a stack trace): only kept for tail().
      return
    }
    for (const w of waiters.filter((x) => x.message === parsed.msg)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(parsed)
    }
  }
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', onLine)
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  return {
    child,
    exited: () => exit,
    async killHard() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exit
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    tail: () => lines.join('\n'),
    logged: (message) => new Promise((resolve) => waiters.push({ message, resolve })),
  }
}
