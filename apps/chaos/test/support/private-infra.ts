import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPrivateBroker, type PrivateBroker } from '../../../../infra/lib/kafka.mjs'
import { createPrivatePostgres, type PrivatePostgres } from '../../../../infra/lib/postgres.mjs'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
/** Where chaos tests keep private infra data (removed after each run) and service logs (kept). */
export const CHAOS_DIR = path.join(ROOT, '.infra', 'chaos')

/**
 * A Kafka broker and a PostgreSQL server of this test's own (own ports, own data under
 * `.infra/chaos/`), started from the same jars and binaries as `infra up`. Unlike the shared ones,
 * they may be stopped and restarted: same ports, same data.
 */
export interface PrivateInfra {
  kafka: PrivateBroker
  postgres: PrivatePostgres
  /** For KAFKA_BROKERS. */
  brokers: string
  /** For DATABASE_URL: the `churnwatch` database on the private server. */
  databaseUrl: string
  /** Stops both (whatever state they are in) and removes their data. */
  destroy: () => Promise<void>
}

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function startPrivateInfra(name: string): Promise<PrivateInfra> {
  await reapAbandoned()
  const dir = path.join(CHAOS_DIR, `${name}-${process.pid}-${randomBytes(3).toString('hex')}`)
  const [port, controllerPort, pgPort] = [await freePort(), await freePort(), await freePort()]
  const kafka = createPrivateBroker({ dir: path.join(dir, 'kafka'), port, controllerPort })
  const postgres = createPrivatePostgres({ dir: path.join(dir, 'pg'), port: pgPort })
  const destroy = async () => {
    const results = await Promise.allSettled([kafka.stop('SIGKILL'), postgres.stop('immediate')])
    rmSync(dir, { recursive: true, force: true })
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
  }
  try {
    // Sequential: both at once on two cores slows the broker's start more than it saves.
    await postgres.start()
    await kafka.start()
  } catch (err) {
    await destroy().catch(() => undefined)
    throw err
  }
  return { kafka, postgres, brokers: kafka.brokers, databaseUrl: postgres.url(), destroy }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const readText = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '')

/**
 * Stops and removes what a run that died before its afterAll left behind (the broker and the
 * server are detached, so they outlive the test process): directories named after a dead pid.
 */
async function reapAbandoned(): Promise<void> {
  if (!existsSync(CHAOS_DIR)) return
  for (const entry of readdirSync(CHAOS_DIR)) {
    const owner = /^[a-z0-9-]+-(\d+)-[0-9a-f]{6}$/.exec(entry)?.[1]
    if (!owner || isAlive(Number(owner))) continue
    const dir = path.join(CHAOS_DIR, entry)
    const brokerPid = Number(readText(path.join(dir, 'kafka', 'broker.pid')).trim())
    if (brokerPid > 0 && isAlive(brokerPid) && readText(`/proc/${brokerPid}/cmdline`).includes('kafka.Kafka')) process.kill(brokerPid, 'SIGKILL')
    await createPrivatePostgres({ dir: path.join(dir, 'pg'), port: 0 })
      .stop('immediate')
      .catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}
