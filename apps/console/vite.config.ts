import { defineConfig } from 'vite'

// Built into dist/ and served by the API at /app/ (same origin, no CDN): every asset is bundled.
export default defineConfig({
  base: '/app/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, assetsInlineLimit: 0 },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
})
