import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/**
 * The console's pages may load their own scripts, styles and images and call the API on the same
 * origin; nothing else (no CDN, no inline script, no framing).
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The console built in this repository (apps/console/dist, beside services/), when it is there. */
export function bundledConsoleDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../../../apps/console/dist', import.meta.url))
  return existsSync(join(dir, 'index.html')) ? dir : undefined
}

export interface ConsoleOptions {
  /** The console's built files (apps/console/dist): index.html and hashed assets/. */
  dir: string
}

/**
 * Serves the built console at /app/ (public files: the data comes from the v1 API, which checks the
 * session). Hashed assets are cached for a year; index.html is revalidated on every load.
 * Encapsulated, so its CSP and cache headers apply to /app only.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  if (!existsSync(join(options.dir, 'index.html'))) throw new Error(`the console directory ${options.dir} has no index.html: build apps/console first`)
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: 'public' }
  })
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('content-security-policy', CONSOLE_CSP)
    reply.header('cache-control', request.url.startsWith('/app/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
    done()
  })
  await app.register(fastifyStatic, {
    root: options.dir,
    prefix: '/app',
    decorateReply: false,
    redirect: true,
    cacheControl: false,
    etag: true,
    lastModified: true,
    wildcard: true,
  })
}
