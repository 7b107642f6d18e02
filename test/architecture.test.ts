import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// Enforces the layout rules of shared/style.md from each package.json and source file.
const ROOT = join(import.meta.dirname, '..')
const INFRA_LIB = join(ROOT, 'infra', 'lib') + sep
const PURE_PACKAGES = new Set(['contract', 'features', 'model', 'metrics', 'config', 'simulator', 'csv'])
const IO_LIBRARIES = ['pg', 'kafkajs', 'fastify', 'pino', 'prom-client', 'undici', 'node-fetch']
// Only the Kafka adapter knows the client library, so replacing it touches one package. The testkit
// keeps its own kafkajs client: @churnwatch/kafka's integration tests use the testkit (depending on
// the adapter would be a cycle), and tests observe the adapter with an independent client.
const KAFKA_LIBRARY = 'kafkajs'
const KAFKA_LIBRARY_USERS = new Set(['@churnwatch/kafka', '@churnwatch/testkit'])
const KAFKA_LIBRARY_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]kafkajs(?:\/[^'"]*)?['"]/m
const IO_BUILTINS = /from ['"]node:(fs|fs\/promises|net|http|https|child_process|dgram|dns|tls|cluster|worker_threads)['"]/

interface Workspace {
  dir: string
  folder: 'packages' | 'services' | 'apps'
  name: string
  manifest: {
    name: string
    dependencies?: Record<string, string>
    devDependencies?: Record<string, string>
    peerDependencies?: Record<string, string>
    optionalDependencies?: Record<string, string>
    exports?: unknown
  }
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

/** Every script of a workspace, tests and tool configs included (not node_modules or build output). */
function allScripts(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(?:[cm]?ts|[cm]?js|tsx)$/.test(f) && !f.split(sep).some((part) => part === 'node_modules' || part === 'dist'))
    .map((f) => join(dir, f))
}

/** The declarations @churnwatch/kafka publishes: index.d.ts and the modules it re-exports from, emitted in memory. */
function kafkaPublicDeclarations(): Map<string, string> {
  const dir = join(ROOT, 'packages', 'kafka')
  const configPath = join(dir, 'tsconfig.build.json')
  const config = ts.getParsedCommandLineOfConfigFile(configPath, { noEmit: false, emitDeclarationOnly: true, declarationMap: false }, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    },
  })
  if (!config) throw new Error(`cannot read ${configPath}`)
  const index = join(dir, 'src', 'index.ts')
  const reexported = [...readFileSync(index, 'utf8').matchAll(/from '\.\/([^']+)\.js'/g)].map((m) => join(dir, 'dist', `${m[1] ?? ''}.d.ts`))
  const published = new Set([join(dir, 'dist', 'index.d.ts'), ...reexported])
  const declarations = new Map<string, string>()
  ts.createProgram([index], config.options).emit(undefined, (fileName, text) => {
    if (published.has(resolve(fileName))) declarations.set(resolve(fileName), text)
  }, undefined, true)
  return declarations
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

  it.each(all.filter((w) => !KAFKA_LIBRARY_USERS.has(w.manifest.name)).map((w) => [w.manifest.name, w] as const))(
    '%s neither depends on kafkajs nor imports it (only @churnwatch/kafka does)',
    (_n, w) => {
      const { dependencies, devDependencies, peerDependencies, optionalDependencies } = w.manifest
      const declared = [dependencies, devDependencies, peerDependencies, optionalDependencies].flatMap((deps) => Object.keys(deps ?? {}))
      expect(declared.filter((d) => d === KAFKA_LIBRARY)).toEqual([])
      expect(allScripts(w.dir).filter((f) => KAFKA_LIBRARY_IMPORT.test(readFileSync(f, 'utf8')))).toEqual([])
    },
  )

  it('recognises an import of kafkajs in each form', () => {
    for (const line of ["import { Kafka } from 'kafkajs'", 'import type { Admin } from "kafkajs"', "const k = await import('kafkajs')", "import 'kafkajs'", "require('kafkajs/types')"]) {
      expect(KAFKA_LIBRARY_IMPORT.test(line)).toBe(true)
    }
    expect(KAFKA_LIBRARY_IMPORT.test("import { createKafka } from '@churnwatch/kafka'")).toBe(false)
  })

  it('@churnwatch/kafka publishes no kafkajs type (its client, runner and publisher are its own)', () => {
    const declarations = kafkaPublicDeclarations()
    expect(declarations.size).toBeGreaterThan(3)
    // A type from kafkajs shows as an import of the module (`from 'kafkajs'` or `import("kafkajs")`); prose in JSDoc does not count.
    const leaks = [...declarations].filter(([, text]) => /['"]kafkajs(?:\/[^'"]*)?['"]/.test(text)).map(([file]) => file)
    expect(leaks).toEqual([])
  }, 60_000)
})
