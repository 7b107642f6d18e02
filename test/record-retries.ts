// Setup file of the integration projects: every failed attempt of a test is written down in its
// report (meta.failedAttempts) with the lines its diff disagrees on, and the CI summary names it,
// so a flaky test stays visible even when its retry passed, and a failure can be read from the
// last lines of a CI log.
import { afterEach } from 'vitest'

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

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

afterEach(({ task }) => {
  if (task.result?.state !== 'fail') return
  // Errors pile up across attempts: the last one is this attempt's.
  const error = task.result.errors?.at(-1)
  const message = String(error?.message ?? 'failed').split('\n')[0]?.slice(0, 300) ?? 'failed'
  const diff = disagreement(error?.diff)
  const failedAttempts = (task.meta as { failedAttempts?: string[] }).failedAttempts ?? []
  failedAttempts.push(diff ? `${message} [diff: ${diff}]` : message)
  Object.assign(task.meta, { failedAttempts })
})
