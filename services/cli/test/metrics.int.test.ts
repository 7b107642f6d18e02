import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, type CliRunOptions } from './run-cli.js'

// The API's metrics example (services/api/test/metrics.int.test.ts), loaded with `backfill`:
//   A  started 2025-12-01 at 1000, upgraded 2026-01-10 to 1500                     segment smb
//   B  started 2025-12-15 at 2000, canceled 2026-01-20, ended 2026-02-05            segment smb
//   C  started 2025-09-01 at 3000, ended 2026-01-25 (involuntary), back 02-20      segment enterprise
//   D  started 2026-01-05 at 500, ended 2026-01-28                                 no account event
//   E  started 2025-10-01 at 4000, downgraded 2026-02-10 to 2500                   segment enterprise
let seq = 0
const billing = (customerId: string, type: string, occurredAt: string, extra: Record<string, unknown> = {}) =>
  ({ eventId: `cm-${++seq}`, customerId, occurredAt, kind: 'billing', type, currency: 'USD', ...extra })
const account = (customerId: string, occurredAt: string, segment: string) => ({ eventId: `ca-${++seq}`, customerId, occurredAt, kind: 'account', segment })

const EVENTS = [
  billing('A', 'subscription_started', '2025-12-01T00:00:00Z', { mrr: 1000 }),
  billing('A', 'subscription_changed', '2026-01-10T00:00:00Z', { mrr: 1500 }),
  billing('B', 'subscription_started', '2025-12-15T00:00:00Z', { mrr: 2000 }),
  billing('B', 'subscription_canceled', '2026-01-20T00:00:00Z', { reason: 'too_expensive', voluntary: true }),
  billing('B', 'subscription_ended', '2026-02-05T00:00:00Z', { reason: 'too_expensive', voluntary: true }),
  billing('C', 'subscription_started', '2025-09-01T00:00:00Z', { mrr: 3000 }),
  billing('C', 'subscription_ended', '2026-01-25T00:00:00Z', { reason: 'payment_failed', voluntary: false }),
  billing('C', 'subscription_reactivated', '2026-02-20T00:00:00Z', { mrr: 3000 }),
  billing('D', 'subscription_started', '2026-01-05T00:00:00Z', { mrr: 500 }),
  billing('D', 'subscription_ended', '2026-01-28T00:00:00Z', { reason: 'no_value', voluntary: true }),
  billing('E', 'subscription_started', '2025-10-01T00:00:00Z', { mrr: 4000 }),
  billing('E', 'subscription_changed', '2026-02-10T00:00:00Z', { mrr: 2500 }),
  account('A', '2025-12-01T00:00:00Z', 'smb'),
  account('B', '2025-12-15T00:00:00Z', 'smb'),
  account('C', '2025-09-01T00:00:00Z', 'enterprise'),
  account('E', '2025-10-01T00:00:00Z', 'enterprise'),
]

describe('churnwatch metrics', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-cli-metrics-'))
  const outside: CliRunOptions = { cwd: dir, without: ['KAFKA_BROKERS', 'KAFKA_TOPIC_PREFIX'] }
  let db: TestDatabase
  let env: Record<string, string>
  const run = (args: string[]) => runCli(args, env, outside)
  beforeAll(async () => {
    db = await createTestDatabase('cw_cli_metrics')
    env = { DATABASE_URL: db.url }
    const file = join(dir, 'events.ndjson')
    writeFileSync(file, EVENTS.map((e) => JSON.stringify(e)).join('\n') + '\n')
    const loaded = await run(['backfill', file])
    expect(loaded.code, loaded.stderr).toBe(0)
  })
  afterAll(() => db.drop())

  const csv = (stdout: string) => {
    const [header, ...rows] = stdout.trimEnd().split('\r\n').map((l) => l.split(','))
    return rows.map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i]])))
  }

  it('prints the API’s figures as CSV, one row per group and period', async () => {
    const result = await run(['metrics', '--from', '2026-01-01', '--to', '2026-03-01', '--gross-margin', '0.8', '--format', 'csv'])
    expect(result.code, result.stderr).toBe(0)
    const rows = csv(result.stdout)
    expect(rows.map((r) => [r.group, r.period])).toEqual([
      ['(all)', '2026-01'],
      ['(all)', '2026-02'],
    ])
    // The same hand-computed figures as the API's test.
    expect(rows[0]).toMatchObject({
      customersAtStart: '4', // A, B, C, E
      mrrAtStart: '10000',
      churned: '1', // C
      customerChurnRate: '0.25',
      arpa: '2500', // 10000 / 4
      ltv: '10000', // 2500 / 0.25
      ltvGrossMargin: '8000', // x 0.8
      grr: '0.7', // (10000 - 3000) / 10000
      nrr: '0.75', // (10000 - 3000 + 500) / 10000
      grrTrailing12m: '', // nobody on 2025-02-01: empty in CSV
      'movements.churnedMrr': '3500', // C 3000 + D 500
      quickRatio: '0.285714', // (500 + 500) / 3500
      'earlyChurnByTenure.days8to30': '1', // D after 23 days
      earlyChurnRate: '1',
    })
    expect(rows[1]).toMatchObject({ customersAtStart: '3', arpa: '2500', ltv: '7500', grr: '0.533333', quickRatio: '0.857143', mrrAtEnd: '7000' })
  })

  it('splits by segment with --group-by and prints a table by default', async () => {
    const grouped = await run(['metrics', '--from', '2026-01-01', '--to', '2026-02-01', '--group-by', 'segment', '--format', 'csv'])
    expect(grouped.code, grouped.stderr).toBe(0)
    const rows = csv(grouped.stdout)
    expect(grouped.stdout.split('\r\n')[0]?.startsWith('segment,period,')).toBe(true)
    // enterprise: C 3000 + E 4000, C churns; smb: A 1000 + B 2000, A +500; D has no segment.
    expect(rows.map((r) => [r.segment, r.customersAtStart, r.mrrAtStart, r.churned, r.grr, r.nrr])).toEqual([
      ['(all)', '4', '10000', '1', '0.7', '0.75'],
      ['enterprise', '2', '7000', '1', '0.571429', '0.571429'],
      ['smb', '2', '3000', '0', '1', '1.166667'],
      ['(none)', '0', '0', '0', '', ''],
    ])

    const table = await run(['metrics', '--from', '2026-01-01', '--to', '2026-02-01', '--group-by', 'segment'])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/^\(all\)\s+2026-01$/m)
    expect(table.stdout).toMatch(/^segment enterprise\s+2026-01$/m)
    expect(table.stdout).toMatch(/^arpa\s+3500$/m) // enterprise: 7000 / 2
    expect(table.stdout).toMatch(/^grrTrailing12m\s+-$/m)
  })

  it('documents its flags in --help', async () => {
    const help = await run(['metrics', '--help'])
    expect(help.code).toBe(0)
    for (const flag of ['--from', '--to', '--interval', '--group-by', '--count-churn-at', '--gross-margin', '--format']) expect(help.stdout).toContain(flag)
  })

  it.each([
    [['--from', '2026-01-01', '--to', '2026-02-01', '--group-by', 'country'], '--group-by must be one of segment, plan, ownerId, interval, got "country"'],
    [['--from', '2026-03-01', '--to', '2026-02-01'], '--from must be before --to'],
    [['--from', '1900-01-01', '--to', '2026-02-01', '--interval', 'week'], '--from..--to holds more than 520 weeks'],
    [['--from', '2026-01-01', '--to', '2026-02-01', '--gross-margin', '0'], '--gross-margin must be a number in (0, 1], got "0"'],
  ])('refuses %j naming the flag', async (args, message) => {
    const result = await run(['metrics', ...args])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(message)
  })
})
