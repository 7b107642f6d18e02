import { randomBytes } from 'node:crypto'

/** A name no other test (or earlier run) uses: lowercase, safe for topics, groups and databases. */
export function uniqueName(prefix: string): string {
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9]+/g, '_')
  return `${safePrefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}
