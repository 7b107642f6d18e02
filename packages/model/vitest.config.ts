import { fileURLToPath } from 'node:url'
import { defineWorkspaceConfig } from '../../vitest.shared.mjs'

// The model tests train real models in beforeAll: tens of seconds on a busy CI machine, beyond
// vitest's 10 s hook default (their tests then never ran and were reported as skipped).
export default defineWorkspaceConfig(fileURLToPath(new URL('.', import.meta.url)), { unit: { hookTimeout: 120_000 } })
