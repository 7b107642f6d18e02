// Shared vitest setup for every workspace: `unit` runs pure tests beside the code,
// `int` runs test/*.int.test.ts against real Kafka and PostgreSQL found by the testkit, `chaos`
// runs test/*.chaos.test.ts (the reliability suite) against the same.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const RECORD_FAILURES = join(dirname(fileURLToPath(import.meta.url)), 'test/record-failures.ts')

export function defineWorkspaceConfig(dir, overrides = {}) {
  const globalSetup = join(dir, 'test/global-setup.ts')
  return defineConfig({
    // No passWithNoTests: a workspace declares test:unit / test:int / test:chaos only when it has such
    // tests, so a run that finds none is a failure (a moved or misnamed file), not a silent pass.
    test: {
      projects: [
        {
          test: { name: 'unit', root: dir, include: ['src/**/*.test.ts'], setupFiles: [RECORD_FAILURES], testTimeout: 30_000, ...overrides.unit },
        },
        {
          test: {
            name: 'int',
            root: dir,
            include: ['test/**/*.int.test.ts'],
            globalSetup: existsSync(globalSetup) ? [globalSetup] : [],
            setupFiles: [RECORD_FAILURES],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            // No retry, in CI or not: a flaky test is fixed, or named in test/quarantine.json (it
            // still runs and the CI summary prints it as QUARANTINED), never passed by a second try.
            retry: 0,
            ...overrides.int,
          },
        },
        {
          // `npm run test:chaos`: crashes, outages, hostile input and fuzzing; long, so one file at a time.
          test: {
            name: 'chaos',
            root: dir,
            include: ['test/**/*.chaos.test.ts'],
            globalSetup: existsSync(globalSetup) ? [globalSetup] : [],
            setupFiles: [RECORD_FAILURES],
            testTimeout: 600_000,
            hookTimeout: 300_000,
            fileParallelism: false,
            ...overrides.chaos,
          },
        },
      ],
    },
  })
}
