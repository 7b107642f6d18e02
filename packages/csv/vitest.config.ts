import { fileURLToPath } from 'node:url'
import { defineWorkspaceConfig } from '../../vitest.shared.mjs'

export default defineWorkspaceConfig(fileURLToPath(new URL('.', import.meta.url)))
