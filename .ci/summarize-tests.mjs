// Sums every vitest JSON report of the run and prints `N passed, M failed, ...` last. The run fails
// unless every expected report is there and nothing in them failed or was left unrun: a test that
// failed, a suite that failed outside its tests (import error, a throwing hook), a test a failed
// hook kept from running, a report that ran no test, or a test step that exited non-zero without a
// report saying why. Quarantined tests (test/quarantine.json) run and are printed, never counted.
//
//   node .ci/summarize-tests.mjs [--chaos] [--steps-exit=N]
//     --chaos         the chaos step ran: its reports are expected too
//     --steps-exit=N  the test steps' exit status, which the reports must explain
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const args = process.argv.slice(2)
const kinds = args.includes('--chaos') ? ['unit', 'int', 'chaos'] : ['unit', 'int']
const stepsExit = Number(args.find((a) => a.startsWith('--steps-exit='))?.split('=')[1] ?? 0)

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const TEST_FILES = { unit: /\.test\.ts$/, int: /\.int\.test\.ts$/, chaos: /\.chaos\.test\.ts$/ }
const TEST_DIRS = { unit: 'src', int: 'test', chaos: 'test' }

function countFiles(dir, pattern) {
  if (!existsSync(dir)) return 0
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, entry) => n + (entry.isDirectory() ? countFiles(join(dir, entry.name), pattern) : pattern.test(entry.name) ? 1 : 0),
    0,
  )
}

// One report per workspace and kind that declares the script or holds such test files (so tests
// that no script runs are missed loudly), plus the root's own tests.
const workspaces = ['packages', 'services', 'apps']
  .flatMap((folder) => (existsSync(folder) ? readdirSync(folder).map((name) => join(folder, name)) : []))
  .filter((dir) => existsSync(join(dir, 'package.json')))
const expected = []
if (existsSync('package.json') && readJson('package.json').scripts?.['test:unit']) {
  expected.push({ report: join('.vitest', 'root.json'), why: 'the root test:unit' })
}
for (const dir of workspaces) {
  const scripts = readJson(join(dir, 'package.json')).scripts ?? {}
  for (const kind of kinds) {
    const files = countFiles(join(dir, TEST_DIRS[kind]), TEST_FILES[kind])
    const script = scripts[`test:${kind}`]
    if (!script && files === 0) continue
    const why = script
      ? `its test:${kind} script left no report (the runner died, or never started: see the log above)`
      : `${files} ${kind} test file(s) but no test:${kind} script runs them`
    expected.push({ report: join(dir, '.vitest', `${kind}.json`), why })
  }
}
const reports = ['.vitest', ...workspaces.map((dir) => join(dir, '.vitest'))].flatMap((dir) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : [],
)
const missing = expected.filter((e) => !reports.includes(e.report))

const quarantine = existsSync('test/quarantine.json') ? (readJson('test/quarantine.json').tests ?? []) : []
const quarantined = (suiteName, fullName) =>
  quarantine.find((q) => q.test === fullName && suiteName.replaceAll('\\', '/').endsWith(`/${q.file}`))
const matchedQuarantine = new Set()

const count = { passed: 0, failed: 0, notRun: 0, skipped: 0, quarantined: 0, quarantinedFailed: 0, failedSuites: 0, emptyReports: 0 }
const lines = []
const firstLines = (text) => String(text ?? '').split('\n').slice(0, 3).join(' | ').slice(0, 400)
for (const file of reports) {
  const report = readJson(file)
  let explained = false
  for (const suite of report.testResults ?? []) {
    const inRepo = relative(process.cwd(), suite.name)
    const where = inRepo && !inRepo.startsWith('..') ? inRepo : suite.name
    const notRun = []
    for (const test of suite.assertionResults ?? []) {
      const attempts = test.meta?.failedAttempts ?? []
      // Each attempt's own reason when the setup file recorded them (a retry can fail differently).
      const reasons = () => (attempts.length > 0 ? attempts.map((a, i) => `attempt ${i + 1}: ${a}`) : [firstLines(test.failureMessages?.[0])]).join(' || ')
      const entry = quarantined(suite.name, test.fullName)
      if (entry) {
        matchedQuarantine.add(entry)
        count.quarantined++
        if (test.status === 'failed') count.quarantinedFailed++
        const outcome = test.status === 'failed' ? `failed: ${reasons()}` : suite.status === 'failed' && test.meta?.declared === 'run' && test.status !== 'passed' ? 'not run' : test.status
        lines.push(`QUARANTINED ${where} > ${test.fullName}: ${outcome} (${entry.reason ?? 'no reason given'})`)
        continue
      }
      if (test.status === 'passed') {
        count.passed++
        for (const attempt of attempts) lines.push(`RETRIED ${where} > ${test.fullName}: passed on retry after: ${attempt}`)
      } else if (test.status === 'failed') {
        count.failed++
        lines.push(`FAILED ${where} > ${test.fullName}: ${reasons()}`)
      } else if (suite.status === 'failed' && (test.meta?.notRun || test.meta?.declared === 'run')) {
        // Meant to run, skipped in a failed suite: a hook failed before it (setup file's note).
        count.notRun++
        notRun.push(test)
      } else {
        count.skipped++
      }
    }
    if (notRun.length > 0) {
      const reason = notRun.find((t) => t.meta.notRun)?.meta.notRun ?? firstLines(suite.message) ?? 'see the log above'
      lines.push(`NOT RUN ${where}: ${notRun.length} test(s) after a failed hook (${reason || 'see the log above'}): ${notRun.map((t) => t.fullName).join('; ')}`)
    }
    // A suite that failed outside its tests: an import or collection error, or a throwing hook.
    if (suite.status === 'failed' && !suite.assertionResults?.some((t) => t.status === 'failed')) {
      count.failedSuites++
      lines.push(`FAILED SUITE ${where}: ${firstLines(suite.message) || (notRun.length > 0 ? 'a hook failed' : 'failed outside its tests (a hook?)')}`)
    }
    if (suite.status === 'failed') explained = true
  }
  if ((report.numTotalTests ?? 0) === 0 && (report.testResults ?? []).length === 0) {
    count.emptyReports++
    lines.push(`EMPTY ${file}: ran no test file`)
  } else if (report.success === false && !explained) {
    count.failedSuites++
    lines.push(`FAILED RUN ${file}: vitest failed the run outside any test (an unhandled error?): see the log above`)
  }
}
for (const { report, why } of missing) lines.push(`MISSING ${report}: ${why}`)
for (const entry of quarantine) {
  if (!matchedQuarantine.has(entry)) lines.push(`QUARANTINE test/quarantine.json names ${entry.file} > ${entry.test}, which no report holds`)
}

const problems = count.failed + count.notRun + count.failedSuites + count.emptyReports + missing.length
const unexplainedExit = stepsExit !== 0 && problems === 0 && count.quarantinedFailed === 0
if (unexplainedExit) lines.push(`FAILED STEPS: the test steps exited ${stepsExit} and no report says why: see the log above`)

console.log(`tests: ${reports.length} reports of ${expected.length} expected`)
// Named at the very end of the log, where a truncated CI record still shows them.
for (const line of lines) console.log(line)
const extra = [
  count.quarantined ? `${count.quarantined} quarantined` : '',
  count.skipped ? `${count.skipped} skipped` : '',
].filter(Boolean)
console.log(
  `${count.passed} passed, ${count.failed} failed, ${count.notRun} not run${extra.map((e) => `, ${e}`).join('')}; ` +
    `${count.failedSuites} failed suites, ${missing.length} missing reports`,
)
process.exit(count.passed === 0 || problems > 0 || unexplainedExit ? 1 : 0)
