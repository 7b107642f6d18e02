import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../bin/churnwatch.js', import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

export interface CliRunOptions {
  /** Working directory (the CLI looks for .infra/env.json above it). */
  cwd?: string
  /** Variables removed from the inherited environment. */
  without?: string[]
}

/** Runs the real `churnwatch` binary (built dist) as `npx churnwatch` does: the executable file, shebang and its Node flags included. */
export function runCli(args: string[], env: Record<string, string> = {}, options: CliRunOptions = {}): Promise<CliRun> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env }
  for (const name of options.without ?? []) delete childEnv[name]
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: childEnv, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}
