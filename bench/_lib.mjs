// Shared helpers for benchmark scripts: infra discovery, temporary databases, medians, results.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** KAFKA_BROKERS / DATABASE_URL from the environment, else from `.infra/env.json` (npm run infra:up). */
export function infraEndpoints() {
  const file = join(ROOT, '.infra', 'env.json')
  const saved = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
  const databaseUrl = process.env.DATABASE_URL ?? saved.DATABASE_URL
  const kafkaBrokers = (process.env.KAFKA_BROKERS ?? saved.KAFKA_BROKERS ?? '').split(',').filter(Boolean)
  if (!databaseUrl) throw new Error('no PostgreSQL: run `npm run infra:up` or set DATABASE_URL')
  return { databaseUrl, kafkaBrokers }
}

/** Both endpoints, for benches that need Kafka too. */
export function kafkaAndPostgres() {
  const { databaseUrl, kafkaBrokers } = infraEndpoints()
  if (kafkaBrokers.length === 0) throw new Error('no Kafka: run `npm run infra:up`, or set KAFKA_BROKERS')
  return { brokers: kafkaBrokers, databaseUrl }
}

/** Creates an empty database next to `serverUrl`; returns its URL and a drop function. */
export async function createTempDatabase(serverUrl, prefix) {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE "${name}"`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      await c.end()
    },
  }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length === 0 ? null : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export const say = (line) => process.stdout.write(`${line}\n`)
export const fmt = (n) => Math.round(n).toLocaleString('en-US')
export const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

/** The URL of another database on the same server. */
export function databaseUrlFor(url, database) {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** Busy and total jiffies of the whole machine from /proc/stat (Linux only; zeros elsewhere). */
export function machineJiffies() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0)
    const total = cpu.reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return { busy: 0, total: 0 }
  }
}

/** A progress printer: at most one line every `everyMs`. */
export function progressLine(label, everyMs = 2_000) {
  let last = 0
  return (text, force = false) => {
    if (force || Date.now() - last >= everyMs) {
      last = Date.now()
      say(`${label}: ${text}`)
    }
  }
}

/** Writes bench/results/NAME.json with the machine and the command that produced it. */
export function writeResult(name, result, argv) {
  const dir = join(ROOT, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const full = {
    ...result,
    machine: { cores: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    command: `npm run bench -- ${name}${argv.length ? ` ${argv.join(' ')}` : ''}`,
    measuredAt: new Date().toISOString(),
  }
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(full, null, 2)}\n`)
  return full
}

/** Parses `--name value` flags into numbers/strings over the given defaults; unknown flags fail. */
export function parseFlags(argv, defaults, usage) {
  const options = { ...defaults }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '--help' || flag === '-h') {
      say(usage)
      process.exit(0)
    }
    const key = flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())
    if (!flag.startsWith('--') || !(key in defaults)) {
      process.stderr.write(`unknown option ${flag}\n${usage}\n`)
      process.exit(2)
    }
    const raw = argv[++i]
    const value = typeof defaults[key] === 'number' ? Number(raw) : raw
    if (typeof defaults[key] === 'number' && !Number.isFinite(value)) {
      process.stderr.write(`${flag} needs a number, got "${raw}"\n`)
      process.exit(2)
    }
    options[key] = value
  }
  return options
}
