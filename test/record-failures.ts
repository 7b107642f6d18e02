// Setup file of every vitest project: writes into each test's report entry (its `meta`) what the
// JSON report would otherwise lose, so .ci/summarize-tests.mjs can name it at the end of a CI log:
// - failedAttempts: every failed attempt with the lines its diff disagrees on (a retry, where one is
//   configured, stays visible even when it passed);
// - declared / notRun: that a test was meant to run, and why it never did (a beforeAll that threw
//   marks it "skipped").
import { afterAll, afterEach, beforeAll } from 'vitest'

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

interface TaskNode {
  type: string
  mode: string
  name: string
  meta: object
  result?: { state?: string; errors?: Array<{ message?: string }> }
  tasks?: TaskNode[]
}

/** The expected (-) and received (+) lines of an assertion diff, without its legend. */
function disagreement(diff: string | undefined): string {
  if (!diff) return ''
  return diff
    .replace(ANSI, '')
    .split('\n')
    .filter((line) => /^[-+] /.test(line) && !/^[-+] (Expected|Received)\s*$/.test(line))
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join(' ; ')
    .slice(0, 400)
}

function firstLine(message: string | undefined): string {
  return String(message ?? 'failed').split('\n')[0]?.slice(0, 300) ?? 'failed'
}

function tests(node: TaskNode): TaskNode[] {
  return node.type === 'test' ? [node] : (node.tasks ?? []).flatMap(tests)
}

afterEach(({ task }) => {
  if (task.result?.state !== 'fail') return
  // Errors pile up across attempts: the last one is this attempt's.
  const error = task.result.errors?.at(-1)
  const diff = disagreement(error?.diff)
  const message = firstLine(error?.message)
  const failedAttempts = (task.meta as { failedAttempts?: string[] }).failedAttempts ?? []
  failedAttempts.push(diff ? `${message} [diff: ${diff}]` : message)
  Object.assign(task.meta, { failedAttempts })
})

// Before any hook of the file runs, each test notes whether it is meant to run (`declared`): a
// failed beforeAll turns it into a skipped one, indistinguishable in the report from an `it.skip`.
// Set now, the note travels with the update that reports the test skipped; `notRun` (the hook's
// error, set after the fact) only reaches tests vitest had not reported yet, so it is a hint.
// Hooks get (context, suite); vitest insists the context be destructured.
// eslint-disable-next-line no-empty-pattern
beforeAll(({}, file) => {
  for (const test of tests(file)) Object.assign(test.meta, { declared: test.mode })
})

// eslint-disable-next-line no-empty-pattern
afterAll(({}, file) => {
  const visit = (suite: TaskNode, reason: string | undefined): void => {
    const errors = suite.type === 'suite' && suite.result?.state === 'fail' ? (suite.result.errors ?? []) : []
    const here = errors.length > 0 ? `${suite.name}: ${firstLine(errors[0]?.message)}` : reason
    for (const child of suite.tasks ?? []) {
      if (child.type !== 'test') visit(child, here)
      else if (here && (child.meta as { declared?: string }).declared === 'run' && child.result?.state === 'skip') {
        Object.assign(child.meta, { notRun: here })
      }
    }
  }
  visit(file, undefined)
})
