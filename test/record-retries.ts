// Setup file of the integration projects: a test that needed a retry to pass is written down in
// its report (meta.failedAttempts), and the CI summary names it, so a flaky test stays visible
// even when its retry passed.
import { afterEach } from 'vitest'

afterEach(({ task }) => {
  if (task.result?.state !== 'fail') return
  // Errors pile up across attempts: the last one is this attempt's.
  const error = task.result.errors?.at(-1)
  const failedAttempts = (task.meta as { failedAttempts?: string[] }).failedAttempts ?? []
  failedAttempts.push(String(error?.message ?? 'failed').split('\n')[0]?.slice(0, 300) ?? 'failed')
  Object.assign(task.meta, { failedAttempts })
})
