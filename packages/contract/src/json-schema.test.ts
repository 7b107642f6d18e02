import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildJsonSchemas, jsonSchemaFileName, serializeJsonSchema } from './json-schema.js'

const schemasDir = new URL('../../../docs/schemas/', import.meta.url)
const REGENERATE = 'docs/schemas is stale: run npm run schemas -w @churnwatch/contract'

const schemas = buildJsonSchemas()

describe('published JSON Schemas', () => {
  it('has exactly one file in docs/schemas per schema', () => {
    const onDisk = readdirSync(schemasDir).filter((file) => file.endsWith('.json')).sort()
    expect(onDisk, REGENERATE).toEqual(Object.keys(schemas).map(jsonSchemaFileName).sort())
  })

  it.each(Object.entries(schemas))('docs/schemas matches the zod schema for %s', (name, schema) => {
    const file = new URL(jsonSchemaFileName(name), schemasDir)
    expect(readFileSync(file, 'utf8'), REGENERATE).toBe(serializeJsonSchema(schema))
  })

  it('gives each schema a draft 2020-12 $schema, a churnwatch $id and a title', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      expect(schema).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `https://churnwatch.dev/schemas/${name}.v1.json`,
        title: expect.stringMatching(/^churnwatch .+ v1/),
      })
    }
  })

  it('describes the input side: quantity is optional with its default, extra fields allowed', () => {
    expect(schemas['usage-event']).toMatchObject({
      required: ['eventId', 'customerId', 'occurredAt', 'kind', 'action'],
      properties: { quantity: { default: 1, type: 'number', minimum: 0 } },
      additionalProperties: {},
    })
  })

  it('requires mrr in the JSON Schema for subscription_started and subscription_changed only', () => {
    const variants = (schemas['billing-event'] as { oneOf: Array<{ properties: { type: { enum: string[] } }; required: string[] }> }).oneOf
    const requiringMrr = variants.filter((variant) => variant.required.includes('mrr'))
    expect(requiringMrr.map((variant) => variant.properties.type.enum)).toEqual([['subscription_started', 'subscription_changed']])
  })
})
