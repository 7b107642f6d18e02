import type { z } from 'zod'

/** One bad environment variable and why it was rejected. */
export interface ConfigIssue {
  variable: string
  message: string
}

/** Thrown at start-up when the environment does not satisfy a schema; lists every bad variable. */
export class ConfigError extends Error {
  readonly code = 'CW_CONFIG_INVALID'
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

/**
 * Validates `env` against a zod object schema and returns the typed config.
 * Empty strings count as unset so that `FOO=` falls back to the default.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const cleaned: Env = {}
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value
  }
  const result = schema.safeParse(cleaned)
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join('.') || '(root)',
    message: describeIssue(issue, cleaned),
  }))
  throw new ConfigError(issues)
}

function describeIssue(issue: z.core.$ZodIssue, env: Env): string {
  const key = issue.path[0]
  if (typeof key === 'string' && env[key] === undefined) return 'is required'
  return issue.message
}
