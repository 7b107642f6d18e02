import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SUMMARY = join(ROOT, '.ci/summarize-tests.mjs')
const INT_SCRIPT = 'vitest run --project int --reporter=json --outputFile.json=.vitest/int.json'

describe('CI summary of the vitest reports', () => {
  const worlds: string[] = []
  afterAll(() => {
    for (const dir of worlds) rmSync(dir, { recursive: true, force: true })
  })

  /** A repository of its own: workspaces with the given scripts and test files. */
  function createRepo(workspaces: Record<string, { scripts: Record<string, string>; files?: string[] }>): string {
    const dir = mkdtempSync(join(tmpdir(), 'cw-ci-summary-'))
    worlds.push(dir)
    for (const [path, { scripts, files = [] }] of Object.entries(workspaces)) {
      mkdirSync(join(dir, path), { recursive: true })
      writeFileSync(join(dir, path, 'package.json'), JSON.stringify({ name: path, scripts }))
      for (const file of files) {
        mkdirSync(dirname(join(dir, path, file)), { recursive: true })
        writeFileSync(join(dir, path, file), '')
      }
    }
    return dir
  }

  /** Runs a real vitest on a fixture project, its JSON report written where the summary looks. */
  function runFixture(fixture: string, report: string, exitStatus = 1): void {
    mkdirSync(dirname(report), { recursive: true })
    const vitest = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', join(ROOT, 'test/fixtures', fixture), '--reporter=json', `--outputFile.json=${report}`],
      { cwd: ROOT, encoding: 'utf8' },
    )
    expect(vitest.status, vitest.stderr).toBe(exitStatus)
  }

  function summarize(repo: string, args: string[] = []): { status: number | null; lines: string[] } {
    const summary = spawnSync(process.execPath, [SUMMARY, ...args], { cwd: repo, encoding: 'utf8' })
    return { status: summary.status, lines: summary.stdout.trim().split('\n') }
  }

  it('names each retried and each failed test, with every attempt\'s reason and diff, after the counts, and fails the run on a failure', () => {
    const repo = createRepo({ 'packages/demo': { scripts: { 'test:int': INT_SCRIPT }, files: ['test/demo.int.test.ts'] } })
    runFixture('retry', join(repo, 'packages/demo/.vitest/int.json'))

    const { status, lines } = summarize(repo)
    expect(lines[0]).toBe('tests: 1 reports of 1 expected')
    expect(lines.filter((l) => l.startsWith('RETRIED'))).toEqual([
      expect.stringMatching(/^RETRIED .*tests\.fixture\.ts > fails once, then passes: passed on retry after: first attempt of the flaky fixture: expected 1 to be 2 .*\[diff: - 2 ; \+ 1\]/),
    ])
    expect(lines.filter((l) => l.startsWith('FAILED'))).toEqual([
      expect.stringMatching(
        /^FAILED .*tests\.fixture\.ts > always fails: attempt 1: the broken fixture: expected .* to match object .* \[diff: - "status": "fixed", ; \+ "status": "broken",\] \|\| attempt 2: the broken fixture: /,
      ),
    ])
    expect(lines.at(-1)).toBe('2 passed, 1 failed, 0 not run; 0 failed suites, 0 missing reports')
    expect(status).toBe(1)
  }, 60_000)

  it('fails on a suite whose import throws and on tests a throwing beforeAll kept from running, though no test failed', () => {
    const repo = createRepo({ 'packages/demo': { scripts: { 'test:int': INT_SCRIPT }, files: ['test/demo.int.test.ts'] } })
    runFixture('broken', join(repo, 'packages/demo/.vitest/int.json'))

    const { status, lines } = summarize(repo)
    // The hook's error reaches the report only when vitest had not sent the skipped tests yet (it
    // batches updates): otherwise the line points at the log, where vitest printed it.
    expect(lines.filter((l) => l.startsWith('NOT RUN')).sort()).toEqual([
      expect.stringMatching(
        /^NOT RUN .*hook\.fixture\.ts: 2 test\(s\) after a failed hook \((a world that cannot be built: broker unreachable|see the log above)\): a world that cannot be built publishes; a world that cannot be built consumes$/,
      ),
      expect.stringMatching(/^NOT RUN .*top-hook\.fixture\.ts: 1 test\(s\) after a failed hook \((top-hook\.fixture\.ts: )?database refused the connection\): reads$/),
    ])
    expect(lines.filter((l) => l.startsWith('FAILED SUITE')).sort()).toEqual([
      expect.stringMatching(/^FAILED SUITE .*hook\.fixture\.ts: a hook failed$/),
      expect.stringMatching(/^FAILED SUITE .*import\.fixture\.ts: cannot import the module under test/),
      expect.stringMatching(/^FAILED SUITE .*top-hook\.fixture\.ts: database refused the connection/),
    ])
    // The deliberate it.skip in the broken describe and in the healthy file stay plain skips.
    expect(lines.at(-1)).toBe('2 passed, 0 failed, 3 not run, 2 skipped; 3 failed suites, 0 missing reports')
    expect(status).toBe(1)
  }, 60_000)

  it('fails on every expected report that is missing, naming it, though every report present passed', () => {
    const repo = createRepo({
      'packages/healthy': { scripts: { 'test:int': INT_SCRIPT }, files: ['test/a.int.test.ts'] },
      // Its runner died: the script exists, the report does not.
      'services/died': { scripts: { 'test:int': INT_SCRIPT }, files: ['test/b.int.test.ts'] },
      // Tests that no script runs.
      'services/unscripted': { scripts: {}, files: ['test/c.int.test.ts', 'src/d.test.ts'] },
      // Chaos reports are expected only when the chaos step ran.
      'apps/chaos': { scripts: { 'test:chaos': 'vitest run --project chaos' }, files: ['test/e.chaos.test.ts'] },
      'packages/pure': { scripts: {} },
    })
    runFixture('retry', join(repo, 'packages/healthy/.vitest/int.json'))
    mkdirSync(join(repo, 'test'))
    // Quarantined so that the healthy report holds no failure of its own.
    writeFileSync(
      join(repo, 'test/quarantine.json'),
      JSON.stringify({ tests: [{ file: 'test/fixtures/retry/tests.fixture.ts', test: 'always fails', reason: 'fixture' }] }),
    )

    const withoutChaos = summarize(repo)
    expect(withoutChaos.lines[0]).toBe('tests: 1 reports of 4 expected')
    expect(withoutChaos.lines.filter((l) => l.startsWith('MISSING'))).toEqual([
      'MISSING services/died/.vitest/int.json: its test:int script left no report (the runner died, or never started: see the log above)',
      'MISSING services/unscripted/.vitest/unit.json: 1 unit test file(s) but no test:unit script runs them',
      'MISSING services/unscripted/.vitest/int.json: 1 int test file(s) but no test:int script runs them',
    ])
    expect(withoutChaos.lines.at(-1)).toBe('2 passed, 0 failed, 0 not run, 1 quarantined; 0 failed suites, 3 missing reports')
    expect(withoutChaos.status).toBe(1)

    const withChaos = summarize(repo, ['--chaos'])
    expect(withChaos.lines).toContain('MISSING apps/chaos/.vitest/chaos.json: its test:chaos script left no report (the runner died, or never started: see the log above)')
    expect(withChaos.lines.at(-1)).toBe('2 passed, 0 failed, 0 not run, 1 quarantined; 0 failed suites, 4 missing reports')
    expect(withChaos.status).toBe(1)
  }, 60_000)

  it('runs a quarantined test and prints its result without counting it, and fails a non-zero step no report explains', () => {
    const repo = createRepo({ 'packages/demo': { scripts: { 'test:int': INT_SCRIPT }, files: ['test/demo.int.test.ts'] } })
    runFixture('retry', join(repo, 'packages/demo/.vitest/int.json'))
    mkdirSync(join(repo, 'test'))
    const quarantine = (tests: Array<{ file: string; test: string; reason: string }>) =>
      writeFileSync(join(repo, 'test/quarantine.json'), JSON.stringify({ tests }))
    const file = 'test/fixtures/retry/tests.fixture.ts'

    quarantine([
      { file, test: 'always fails', reason: 'issue 99: the receiver races the relay' },
      { file, test: 'passes', reason: 'issue 98' },
      { file, test: 'a test that was renamed', reason: 'issue 97' },
    ])
    const green = summarize(repo, ['--steps-exit=1'])
    expect(green.lines.filter((l) => l.startsWith('QUARANTINED')).sort()).toEqual([
      expect.stringMatching(/^QUARANTINED .*tests\.fixture\.ts > always fails: failed: attempt.*the broken fixture.* \(issue 99: the receiver races the relay\)$/),
      expect.stringMatching(/^QUARANTINED .*tests\.fixture\.ts > passes: passed \(issue 98\)$/),
    ])
    expect(green.lines).toContain(`QUARANTINE test/quarantine.json names ${file} > a test that was renamed, which no report holds`)
    expect(green.lines.filter((l) => l.startsWith('FAILED'))).toEqual([])
    // The step failed because of the quarantined test: explained, so the run passes.
    expect(green.lines.at(-1)).toBe('1 passed, 0 failed, 0 not run, 2 quarantined; 0 failed suites, 0 missing reports')
    expect(green.status).toBe(0)

    // Nothing failed in the reports, yet a step exited non-zero: the summary cannot vouch for the run.
    const passing = createRepo({ 'packages/demo': { scripts: { 'test:int': INT_SCRIPT }, files: ['test/demo.int.test.ts'] } })
    runFixture('passing', join(passing, 'packages/demo/.vitest/int.json'), 0)
    expect(summarize(passing).status).toBe(0)
    const unexplained = summarize(passing, ['--steps-exit=2'])
    expect(unexplained.lines).toContain('FAILED STEPS: the test steps exited 2 and no report says why: see the log above')
    expect(unexplained.lines.at(-1)).toBe('1 passed, 0 failed, 0 not run; 0 failed suites, 0 missing reports')
    expect(unexplained.status).toBe(1)
  }, 60_000)
})
