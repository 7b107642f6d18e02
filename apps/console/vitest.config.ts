import { fileURLToPath } from 'node:url'
import { defineWorkspaceConfig } from '../../vitest.shared.mjs'

// The e2e suite drives one Chromium against one API: its files run one at a time.
export default defineWorkspaceConfig(fileURLToPath(new URL('.', import.meta.url)), {
  int: { fileParallelism: false, testTimeout: 90_000 },
})
