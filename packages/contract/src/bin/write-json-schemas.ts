#!/usr/bin/env node
// Build-time tool (not part of the public surface): writes docs/schemas/<name>.v1.json from the
// zod schemas and removes schema files that no longer have a source.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildJsonSchemas, jsonSchemaFileName, serializeJsonSchema } from '../json-schema.js'

// This file runs from dist/bin/, two levels below the package root.
const packageRoot = new URL('../../', import.meta.url)
const schemasDir = fileURLToPath(new URL('../../docs/schemas/', packageRoot))

async function writeJsonSchemas(): Promise<void> {
  await mkdir(schemasDir, { recursive: true })
  const schemas = buildJsonSchemas()
  const expected = new Set(Object.keys(schemas).map(jsonSchemaFileName))
  for (const [name, schema] of Object.entries(schemas)) {
    await writeFile(join(schemasDir, jsonSchemaFileName(name)), serializeJsonSchema(schema))
  }
  const stale = (await readdir(schemasDir)).filter((file) => file.endsWith('.json') && !expected.has(file))
  for (const file of stale) await rm(join(schemasDir, file))
  console.log(`wrote ${expected.size} schemas to ${schemasDir}${stale.length > 0 ? `; removed ${stale.join(', ')}` : ''}`)
}

writeJsonSchemas().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
