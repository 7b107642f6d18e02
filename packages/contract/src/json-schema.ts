import { z } from 'zod'
import { accountEventSchema, billingEventSchema, churnEventSchema, usageEventSchema } from './events.js'
import { alertEventSchema, deadLetterEventSchema, featuresChangedEventSchema, riskScoreEventSchema } from './outputs.js'

const SCHEMA_BASE_URL = 'https://churnwatch.dev/schemas/'

const PUBLISHED_SCHEMAS = {
  'usage-event': { schema: usageEventSchema, title: 'churnwatch usage event v1' },
  'billing-event': { schema: billingEventSchema, title: 'churnwatch billing event v1' },
  'account-event': { schema: accountEventSchema, title: 'churnwatch account event v1' },
  'churn-event': { schema: churnEventSchema, title: 'churnwatch input event v1 (usage, billing or account)' },
  'risk-score-event': { schema: riskScoreEventSchema, title: 'churnwatch risk score event v1' },
  'alert-event': { schema: alertEventSchema, title: 'churnwatch alert event v1' },
  'features-changed-event': { schema: featuresChangedEventSchema, title: 'churnwatch features-changed event v1' },
  'dead-letter-event': { schema: deadLetterEventSchema, title: 'churnwatch dead-letter event v1' },
} as const

/** File name of a published schema under docs/schemas, e.g. "usage-event.v1.json". */
export function jsonSchemaFileName(name: string): string {
  return `${name}.v1.json`
}

/**
 * JSON Schema (draft 2020-12) of every published event, keyed by name ("usage-event", ...).
 * Generated for the input side, so defaulted fields such as `quantity` are optional.
 */
export function buildJsonSchemas(): Record<string, object> {
  const schemas: Record<string, object> = {}
  for (const [name, { schema, title }] of Object.entries(PUBLISHED_SCHEMAS)) {
    const { $schema, ...body } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' })
    schemas[name] = { $schema, $id: `${SCHEMA_BASE_URL}${jsonSchemaFileName(name)}`, title, ...body }
  }
  return schemas
}

/** The exact file content for a schema: 2-space JSON with a trailing newline. */
export function serializeJsonSchema(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`
}
