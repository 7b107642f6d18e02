import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const CHILD = fileURLToPath(new URL('./fixtures/graceful-child.mjs', import.meta.url))

describe('closeGracefully', () => {
  it('finishes the graceful stop when more signals arrive while stopping, and exits 0', async () => {
    const child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] })
    const records: Array<{ msg?: string; signal?: string }> = []
    const waiters: Array<() => void> = []
    let buffered = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) if (line.trim()) records.push(JSON.parse(line) as { msg?: string; signal?: string })
      for (const wake of waiters.splice(0)) wake()
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    const logged = async (msg: string, count = 1) => {
      while (records.filter((r) => r.msg === msg).length < count) await new Promise<void>((resolve) => waiters.push(resolve))
    }

    await logged('ready')
    child.kill('SIGTERM')
    await logged('stopping')
    child.kill('SIGTERM')
    child.kill('SIGINT')
    await logged('already shutting down: signal ignored', 2)
    child.stdin.write('finish\n')

    expect(await exited).toBe(0)
    expect(records.map((r) => r.msg).filter((m) => m !== 'already shutting down: signal ignored')).toEqual(['ready', 'stopping', 'stopped'])
    expect(records.find((r) => r.msg === 'stopping')?.signal).toBe('SIGTERM')
    // Pending signals reach the process in no particular order.
    expect(records.filter((r) => r.msg === 'already shutting down: signal ignored').map((r) => r.signal).sort()).toEqual(['SIGINT', 'SIGTERM'])
  })
})
