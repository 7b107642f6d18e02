// `npm run bench -- NAME [args]`: runs bench/NAME.mjs, which prints its figures and writes
// bench/results/NAME.json. Benchmarks are never part of `npm test`.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'))
  .map((f) => f.replace(/\.mjs$/, ''))
const [name, ...args] = process.argv.slice(2)

if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [args]\navailable: ${available.join(', ') || '(none yet)'}`)
  process.exit(name ? 2 : 0)
}
const script = `${dir}${name}.mjs`
if (!existsSync(script)) process.exit(2)
const result = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' })
process.exit(result.status ?? 1)
