// Shared vitest setup for every workspace: `unit` runs pure tests beside the code,
// `int` runs test/*.int.test.ts against real Kafka and PostgreSQL found by the testkit, `chaos`
// runs test/*.chaos.test.ts (the reliability suite) against the same.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const RECORD_RETRIES = join(dirname(fileURLToPath(import.meta.url)), 'test/record-retries.ts')

export function defineWorkspaceConfig(dir, overrides = {}) {
  const globalSetup = join(dir, 'test/global-setup.ts')
  return defineConfig({
    test: {
      passWithNoTests: true,
      projects: [
        { test: { name: 'unit', root: dir, include: ['src/**/*.test.ts'], testTimeout: 30_000, ...overrides.unit } },
        {
          test: {
            name: 'int',
            root: dir,
            include: ['test/**/*.int.test.ts'],
            globalSetup: existsSync(globalSetup) ? [globalSetup] : [],
            setupFiles: [RECORD_RETRIES],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            // Real brokers and databases on a shared 2-core machine: under CI, a failed test gets one
            // more try. Every failed attempt is still reported by .ci/summarize-tests.mjs.
            retry: process.env.CI ? 1 : 0,
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
