// Setup file of every vitest project: writes into each test's report entry (its `meta`) what the
// JSON report would otherwise lose, so .ci/summarize-tests.mjs can name it at the end of a CI log:
// - failedAttempts: every failed attempt with the lines its diff disagrees on (a retry, where one is
//   configured, stays visible even when it passed);
// - notRun: why a test meant to run never did (a beforeAll that threw marks it "skipped").
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

// Before any hook of the file runs, note which tests are meant to run: a failed beforeAll turns
// them into skipped ones, indistinguishable in the report from an `it.skip`.
const meantToRun = new Set<TaskNode>()
// Hooks get (context, suite); vitest insists the context be destructured.
// eslint-disable-next-line no-empty-pattern
beforeAll(({}, file) => {
  for (const test of tests(file as TaskNode)) if (test.mode === 'run') meantToRun.add(test)
})

// eslint-disable-next-line no-empty-pattern
afterAll(({}, file) => {
  const visit = (suite: TaskNode, reason: string | undefined): void => {
    const errors = suite.type === 'suite' && suite.result?.state === 'fail' ? (suite.result.errors ?? []) : []
    const here = errors.length > 0 ? `${suite.name}: ${firstLine(errors[0]?.message)}` : reason
    for (const child of suite.tasks ?? []) {
      if (child.type !== 'test') visit(child, here)
      else if (here && meantToRun.has(child) && child.result?.state !== 'pass' && child.result?.state !== 'fail') {
        Object.assign(child.meta, { notRun: here })
      }
    }
  }
  visit(file as TaskNode, undefined)
})
