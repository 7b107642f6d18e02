import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ConfigError } from '@churnwatch/config'
import { playBookSchema, type PlayBook } from './rules/plays.js'

/** The play book the scorer ships (services/scorer/plays.default.json; from src/ and dist/ alike). */
export const DEFAULT_PLAYS_FILE = fileURLToPath(new URL('../plays.default.json', import.meta.url))

/**
 * Reads and validates a play book at start-up. Throws a ConfigError naming PLAYS_FILE and every
 * bad entry (its JSON path and why) when the file is unreadable, not JSON, or invalid.
 */
export function loadPlayBook(file: string = DEFAULT_PLAYS_FILE): PlayBook {
  const variable = `PLAYS_FILE (${file})`
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new ConfigError([{ variable, message: err instanceof Error ? err.message : String(err) }])
  }
  const result = playBookSchema.safeParse(parsed)
  if (result.success) return result.data
  throw new ConfigError(
    result.error.issues.map((issue) => ({ variable: `${variable} ${issue.path.map(String).join('.') || '(root)'}`, message: issue.message })),
  )
}
