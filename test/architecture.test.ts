import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

// Enforces the layout rules of shared/style.md from each package.json and source file.
const ROOT = join(import.meta.dirname, '..')
const INFRA_LIB = join(ROOT, 'infra', 'lib') + sep
const PURE_PACKAGES = new Set(['contract', 'features', 'model', 'metrics', 'config', 'simulator'])
const IO_LIBRARIES = ['pg', 'kafkajs', 'fastify', 'pino', 'prom-client', 'undici', 'node-fetch']
const IO_BUILTINS = /from ['"]node:(fs|fs\/promises|net|http|https|child_process|dgram|dns|tls|cluster|worker_threads)['"]/

interface Workspace {
  dir: string
  folder: 'packages' | 'services' | 'apps'
  name: string
  manifest: { name: string; dependencies?: Record<string, string>; exports?: unknown }
}

function workspaces(): Workspace[] {
  return (['packages', 'services', 'apps'] as const).flatMap((folder) => {
    const base = join(ROOT, folder)
    if (!existsSync(base)) return []
    return readdirSync(base)
      .filter((name) => existsSync(join(base, name, 'package.json')))
      .map((name) => ({
        dir: join(base, name),
        folder,
        name,
        manifest: JSON.parse(readFileSync(join(base, name, 'package.json'), 'utf8')) as Workspace['manifest'],
      }))
  })
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('bin/'))
    .map((f) => join(dir, f))
}

describe('monorepo architecture', () => {
  const all = workspaces()

  it('finds the workspaces', () => {
    expect(all.map((w) => w.name)).toEqual(expect.arrayContaining(['contract', 'config', 'storage', 'kafka']))
  })

  it.each(all.map((w) => [w.manifest.name, w] as const))('%s is named @churnwatch/<folder> and has exports', (_n, w) => {
    expect(w.manifest.name).toBe(`@churnwatch/${w.name}`)
    // Services are run, not imported; a workspace without src (the chaos suite) has no surface to export.
    if (w.folder !== 'services' && existsSync(join(w.dir, 'src'))) expect(w.manifest.exports).toBeDefined()
  })

  it.each(all.filter((w) => PURE_PACKAGES.has(w.name)).map((w) => [w.manifest.name, w] as const))(
    'pure package %s depends on no I/O library and imports no I/O builtin',
    (_n, w) => {
      const deps = Object.keys(w.manifest.dependencies ?? {})
      expect(deps.filter((d) => IO_LIBRARIES.includes(d))).toEqual([])
      const offenders = sourceFiles(join(w.dir, 'src')).filter((f) => IO_BUILTINS.test(readFileSync(f, 'utf8')))
      expect(offenders).toEqual([])
    },
  )

  // apps/ are composition roots (npm start, the demo): the one place that may wire services together.
  it.each(all.filter((w) => w.folder !== 'apps').map((w) => [w.manifest.name, w] as const))(
    '%s depends on no service',
    (_n, w) => {
      const services = new Set(all.filter((s) => s.folder === 'services').map((s) => s.manifest.name))
      const deps = Object.keys(w.manifest.dependencies ?? {}).filter((d) => d !== w.manifest.name)
      expect(deps.filter((d) => services.has(d))).toEqual([])
    },
  )

  // One Kafka outbox relay per process, created where the process is wired and injected (ADR 0008).
  it('creates the Kafka outbox relay only in composition roots (a main.ts, apps/), never in a service or route', () => {
    const offenders = all
      .filter((w) => w.folder !== 'apps')
      .flatMap((w) => sourceFiles(join(w.dir, 'src')))
      .filter((file) => !file.endsWith(`${sep}main.ts`) && !file.endsWith(`${sep}kafka-outbox.ts`))
      .filter((file) => /createOutboxRelay\(/.test(readFileSync(file, 'utf8')))
    expect(offenders).toEqual([])
  })

  it('has no relative import that leaves its own package', () => {
    const offenders = all.flatMap((w) =>
      [...sourceFiles(join(w.dir, 'src')), ...sourceFiles(join(w.dir, 'test'))].flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/from ['"](\.{1,2}\/[^'"]*)['"]/g)]
          .map((m) => m[1] ?? '')
          // infra/lib is plain Node shared by `npm run infra:*` and tests that run private brokers.
          .filter((spec) => !resolve(dirname(file), spec).startsWith(w.dir + sep) && !resolve(dirname(file), spec).startsWith(INFRA_LIB))
          .map((spec) => `${file}: ${spec}`),
      ),
    )
    expect(offenders).toEqual([])
  })
})
