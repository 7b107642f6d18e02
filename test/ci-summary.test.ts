import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const FIXTURE = join(ROOT, 'test/fixtures/retry')
const SUMMARY = join(ROOT, '.ci/summarize-tests.mjs')

describe('CI summary of the vitest reports', () => {
  const work = mkdtempSync(join(tmpdir(), 'cw-ci-summary-'))
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('names each retried and each failed test, with every attempt\'s reason and diff, after the counts, and fails the run on a failure', () => {
    // The fixture project writes its JSON report where the summary looks for a package's reports.
    const report = join(work, 'packages/demo/.vitest/int.json')
    mkdirSync(join(work, 'packages/demo/.vitest'), { recursive: true })
    const vitest = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', FIXTURE, '--reporter=json', `--outputFile.json=${report}`],
      { cwd: ROOT, encoding: 'utf8' },
    )
    expect(vitest.status, vitest.stderr).toBe(1)

    const summary = spawnSync(process.execPath, [SUMMARY], { cwd: work, encoding: 'utf8' })
    const lines = summary.stdout.trim().split('\n')
    expect(lines[0]).toBe('tests: 1 reports')
    expect(lines.filter((l) => l.startsWith('RETRIED'))).toEqual([
      expect.stringMatching(/^RETRIED .*tests\.fixture\.ts > fails once, then passes: passed on retry after: first attempt of the flaky fixture: expected 1 to be 2 .*\[diff: - 2 ; \+ 1\]/),
    ])
    expect(lines.filter((l) => l.startsWith('FAILED'))).toEqual([
      expect.stringMatching(
        /^FAILED .*tests\.fixture\.ts > always fails: attempt 1: the broken fixture: expected .* to match object .* \[diff: - "status": "fixed", ; \+ "status": "broken",\] \|\| attempt 2: the broken fixture: /,
      ),
    ])
    expect(lines.at(-1)).toBe('2 passed, 1 failed')
    expect(summary.status).toBe(1)
  }, 60_000)
})
