import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { uniqueName, waitFor } from '@churnwatch/testkit'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { generateEvents } from './fixtures.js'
import { createWorld, type World } from './harness.js'

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url))

function startProcess(world: World): ChildProcess {
  return spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: world.db.url,
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      KAFKA_TOPIC_PREFIX: world.prefix,
      KAFKA_GROUP_ID: world.groupId,
      HTTP_PORT: '0',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

describe('feature builder process: crashes and shutdowns lose nothing and count nothing twice', { timeout: 300_000 }, () => {
  const events = generateEvents(300, 150, 5)
  const worlds: World[] = []
  const children: ChildProcess[] = []
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL')
      await exited(child)
    }
    for (const w of worlds.splice(0)) await w.close()
  })

  async function cleanDigest(): Promise<string> {
    const clean = await createWorld('clean')
    worlds.push(clean)
    await clean.start()
    await clean.produce(events)
    await clean.waitForOffsets(events.length, 120_000)
    return clean.digest()
  }

  async function interruptedDigest(signal: NodeJS.Signals, interruptions: number): Promise<{ digest: string; cutAt: number[] }> {
    const world = await createWorld(uniqueName(signal.toLowerCase()).slice(0, 20))
    worlds.push(world)
    await world.produce(events)
    const cutAt: number[] = []
    for (let i = 0; i < interruptions; i += 1) {
      const child = startProcess(world)
      children.push(child)
      const before = await world.foldedOffsets()
      // Interrupt as soon as this process has folded something, mid-stream.
      await waitFor(async () => (await world.foldedOffsets()) > before, { timeoutMs: 60_000, intervalMs: 20 })
      child.kill(signal)
      const exit = await exited(child)
      if (signal === 'SIGTERM') expect(exit.code).toBe(0)
      cutAt.push(await world.foldedOffsets())
    }
    const last = startProcess(world)
    children.push(last)
    await world.waitForOffsets(events.length, 120_000)
    return { digest: await world.digest(), cutAt }
  }

  it('kill -9 at three moments mid-stream, then a restart, gives the state of a clean run', async () => {
    const expected = await cleanDigest()
    const { digest, cutAt } = await interruptedDigest('SIGKILL', 3)
    expect(cutAt.some((n) => n < events.length)).toBe(true)
    expect(digest).toBe(expected)
  })

  it('SIGTERM mid-stream exits cleanly and a restart gives the state of a clean run', async () => {
    const expected = await cleanDigest()
    const { digest, cutAt } = await interruptedDigest('SIGTERM', 2)
    expect(cutAt.some((n) => n < events.length)).toBe(true)
    expect(digest).toBe(expected)
  })
})
