import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/record-failures.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/root.json' },
  },
})
