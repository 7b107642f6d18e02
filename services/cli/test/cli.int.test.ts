import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseEvent } from '@churnwatch/contract'
import { migrate } from '@churnwatch/storage'
import { createTestDatabase, uniqueName, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { runCli } from './run-cli.js'

const FEATURE_BUILDER = fileURLToPath(new URL('../../feature-builder/dist/main.js', import.meta.url))

describe('churnwatch CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-cli-'))

  it('names the bad flag and exits non-zero', async () => {
    const run = await runCli(['simulate', '--customers', 'many', '--months', '3', '--out', dir])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain("--customers must be an integer >= 1, got \"many\"")
    const unknown = await runCli(['simulate', '--customers', '3', '--months', '3', '--out', dir, '--sead', '1'])
    expect(unknown.stderr).toContain("unknown option '--sead'")
  })

  it('has --help on every command', async () => {
    for (const command of ['simulate', 'produce']) {
      const run = await runCli([command, '--help'])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(`Usage: churnwatch ${command}`)
    }
  })

  it('simulates a deterministic business of contract events and its truth', async () => {
    const args = ['simulate', '--customers', '30', '--months', '3', '--seed', '9']
    const [a, b] = await Promise.all([runCli([...args, '--out', join(dir, 'a')]), runCli([...args, '--out', join(dir, 'b')])])
    expect(a.code).toBe(0)
    expect(b.code).toBe(0)
    const events = readFileSync(join(dir, 'a', 'events.ndjson'), 'utf8')
    expect(events).toBe(readFileSync(join(dir, 'b', 'events.ndjson'), 'utf8'))
    const lines = events.trim().split('\n')
    expect(lines.length).toBeGreaterThan(100)
    expect(lines.every((line) => parseEvent(line).ok)).toBe(true)
    const times = lines.map((line) => Date.parse((JSON.parse(line) as { occurredAt: string }).occurredAt))
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] ?? 0))).toBe(true)
    expect(readFileSync(join(dir, 'a', 'truth.csv'), 'utf8').split('\n')[0]).toBe(
      'customerId,startedAt,endedAt,voluntary,monthStart,trueChurnProbability90d',
    )
  })

  it('simulates contracts and accounts on request: annual invoices, renewal dates and account events, all valid', async () => {
    const out = join(dir, 'contracts')
    const run = await runCli(['simulate', '--customers', '40', '--months', '3', '--seed', '9', '--events-per-user-day', '0.2', '--annual-share', '0.5', '--accounts', '--out', out])
    expect(run.code).toBe(0)
    const lines = readFileSync(join(out, 'events.ndjson'), 'utf8').trim().split('\n')
    expect(lines.every((line) => parseEvent(line).ok)).toBe(true)
    const events = lines.map((line) => JSON.parse(line) as { kind: string; type?: string; interval?: string; currentPeriodEnd?: string; segment?: string })
    expect(events.filter((e) => e.kind === 'account' && e.segment !== undefined).length).toBe(40)
    const starts = events.filter((e) => e.type === 'subscription_started')
    expect(new Set(starts.map((e) => e.interval))).toEqual(new Set(['month', 'year']))
    expect(starts.every((e) => e.currentPeriodEnd !== undefined)).toBe(true)

    const bad = await runCli(['simulate', '--customers', '3', '--months', '1', '--out', out, '--annual-share', '1.5'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('--annual-share must be a number in [0, 1], got "1.5"')
    const orphan = await runCli(['simulate', '--customers', '3', '--months', '1', '--out', out, '--notice-days', '10'])
    expect(orphan.code).not.toBe(0)
    expect(orphan.stderr).toContain('--notice-days needs --annual-share')
  })

  describe('produce against real Kafka with a running feature builder', () => {
    let db: TestDatabase
    let builder: ChildProcess
    const prefix = `${uniqueName('cli')}.`
    const groupId = uniqueName('cli_fb')
    const env = () => ({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      FEATURE_BUILDER_GROUP_ID: groupId,
    })
    beforeAll(async () => {
      db = await createTestDatabase('cw_cli')
      await migrate(db.pool)
      builder = spawn(process.execPath, [FEATURE_BUILDER], {
        env: { ...process.env, ...env(), KAFKA_GROUP_ID: groupId, HTTP_PORT: '0', LOG_LEVEL: 'error' },
        stdio: 'ignore',
      })
    })
    afterAll(async () => {
      builder.kill('SIGTERM')
      await new Promise((resolve) => builder.once('exit', resolve))
      await db.drop()
    })

    it('publishes every event, reports bad lines, and with --wait returns once the feature builder has folded them', async () => {
      const file = join(dir, 'mixed.ndjson')
      const good = readFileSync(join(dir, 'a', 'events.ndjson'), 'utf8').trim().split('\n')
      writeFileSync(file, [...good.slice(0, 200), 'not json', '{"kind":"telemetry","customerId":"x"}', ...good.slice(200)].join('\n'))
      const run = await runCli(['produce', file, '--wait', '--wait-timeout', '120'], env())
      expect(run.stderr).toContain(`mixed.ndjson:201: not JSON`)
      expect(run.stderr).toContain(`mixed.ndjson:202: kind: must be one of: usage, billing, account`)
      expect(run.stderr).toContain(`produced ${good.length} events, rejected 2 lines`)
      expect(run.code).toBe(0)
      // --wait returned: every produced event is already in the store.
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
      expect(rows[0]?.n).toBe(good.length)
    })
  })
})
