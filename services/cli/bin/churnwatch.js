#!/usr/bin/env node
// Entry point kept outside dist/ so that npm links it before the first build.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))
if (!existsSync(main)) {
  console.error('churnwatch is not built yet: run `npm run build` first')
  process.exit(1)
}
await import(main)
