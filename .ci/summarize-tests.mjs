// Sums every vitest JSON report of the run and prints the plain `N passed, M failed` line.
// Exits 1 when no test ran at all, so an empty run cannot pass unnoticed.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const reports = ['.vitest', ...['packages', 'services', 'apps'].flatMap((f) =>
  existsSync(f) ? readdirSync(f).map((name) => join(f, name, '.vitest')) : [],
)].flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : []))

let passed = 0
let failed = 0
let skipped = 0
const failures = []
for (const file of reports) {
  const report = JSON.parse(readFileSync(file, 'utf8'))
  passed += report.numPassedTests ?? 0
  failed += report.numFailedTests ?? 0
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  for (const suite of report.testResults ?? []) {
    for (const test of suite.assertionResults ?? []) {
      const attempts = test.meta?.failedAttempts ?? []
      if (test.status !== 'failed') {
        for (const attempt of attempts) failures.push(`RETRIED ${suite.name} > ${test.fullName}: passed on retry after: ${attempt}`)
        continue
      }
      // Each attempt's own reason when the setup file recorded them (a retry can fail differently).
      const reasons = attempts.length > 0
        ? attempts.map((attempt, i) => `attempt ${i + 1}: ${attempt}`)
        : [String(test.failureMessages?.[0] ?? '').split('\n').slice(0, 3).join(' | ').slice(0, 400)]
      failures.push(`FAILED ${suite.name} > ${test.fullName}: ${reasons.join(' || ')}`)
    }
  }
}
console.log(`tests: ${reports.length} reports`)
// Named at the very end of the log, where a truncated CI record still shows them.
for (const line of failures) console.log(line)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(passed === 0 || failed > 0 ? 1 : 0)
