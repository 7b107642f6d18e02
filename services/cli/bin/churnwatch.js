#!/usr/bin/env -S node --max-semi-space-size=64
// Entry point kept outside dist/ so that npm links it before the first build. The larger young
// generation (64 MB semi-spaces) halves garbage-collection time when scoring or training over
// hundreds of thousands of customers, which allocate many short-lived rows (see the README).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))
if (!existsSync(main)) {
  console.error('churnwatch is not built yet: run `npm run build` first')
  process.exit(1)
}
await import(main)
