import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

// The built process (int tests run after the package's own build).
const shipped = JSON.parse(readFileSync(fileURLToPath(new URL('../plays.default.json', import.meta.url)), 'utf8')) as Record<string, unknown>
const write = (name: string, content: unknown) => {
  const file = join(mkdtempSync(join(tmpdir(), 'cw-plays-')), name)
  writeFileSync(file, JSON.stringify(content))
  return file
}

describe('scorer start-up', () => {
  it('stops the scorer at start-up with a bad PLAYS_FILE, before connecting to anything', async () => {
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))
    const file = write('bad-start.json', { ...shipped, unknownReason: { category: 'unknown' } })
    const run = promisify(execFile)(process.execPath, [main], {
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', KAFKA_BROKERS: '127.0.0.1:1', PLAYS_FILE: file },
    })
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`PLAYS_FILE (${file}) unknownReason.play`) as unknown })
  })
})
