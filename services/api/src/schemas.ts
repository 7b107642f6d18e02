import { driverSchema, RISK_BANDS, riskChangesSchema } from '@churnwatch/contract'
import { z } from 'zod'

// Schemas shared by several route files. Each one validates (requests), serialises (responses)
// and documents (OpenAPI) through fastify-type-provider-zod.

export const problemSchema = z
  .object({
    type: z.string().describe('Stable URI naming the problem kind'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional().describe('The request path'),
    code: z.string().describe('CW_API_* error code'),
    requestId: z.string().optional().describe('Quote it when asking about a failed request'),
    errors: z
      .array(z.object({ path: z.string().describe('location.field, e.g. query.limit or body.events.3.occurredAt'), message: z.string() }))
      .optional()
      .describe('Per-field problems, for validation errors'),
  })
  .describe('RFC 9457 problem details (application/problem+json)')

/** Problem responses for the statuses a route documents. */
export function problemResponses<const S extends readonly number[]>(...statuses: S): Record<S[number], typeof problemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, problemSchema])) as Record<S[number], typeof problemSchema>
}

const intMessage = (name: string, min: number, max: number) => `${name} must be an integer from ${min} to ${max}`

/** `limit` query parameter: an integer in [1, max]; `fallback` when absent (undefined: left absent). */
export function limitSchema(fallback: number, max: number): z.ZodDefault<z.ZodCoercedNumber>
export function limitSchema(fallback: undefined, max: number): z.ZodOptional<z.ZodCoercedNumber>
export function limitSchema(fallback: number | undefined, max: number) {
  const message = intMessage('limit', 1, max)
  const base = z.coerce.number({ error: message }).int({ error: message }).min(1, { error: message }).max(max, { error: message })
  return fallback === undefined ? base.optional() : base.default(fallback).describe(`Page size, 1-${max} (default ${fallback})`)
}

export const cursorSchema = z.string().min(1).max(4096).optional().describe('Opaque cursor from the previous page’s nextCursor')

/** An ISO-8601 instant with a zone, or a plain date (midnight UTC). */
export const instantSchema = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(s) && !Number.isNaN(Date.parse(s)), {
    error: 'must be an ISO-8601 date (2026-03-01) or instant with a zone (2026-03-01T12:00:00Z)',
  })
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s).toISOString())

/** A comma-separated list (or a repeated parameter) of enum values. */
export function enumListSchema<const T extends readonly [string, ...string[]]>(values: T, name: string) {
  const item = z.enum(values, { error: `${name} must be one of: ${values.join(', ')}` })
  return z
    .preprocess(
      (v: unknown) => (typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v.flatMap((x: unknown) => (typeof x === 'string' ? x.split(',') : [x])) : v),
      z.array(item).min(1),
    )
    .optional()
    .describe(`One or more of ${values.join(', ')}, comma-separated`)
}

export const customerIdParamSchema = z.object({
  id: z.string().min(1, 'must be 1-128 characters').max(128, 'must be 1-128 characters').describe('customerId'),
})

export const bandSchema = z.enum(RISK_BANDS)

export const keyFeatureSchema = z.object({
  name: z.string(),
  value: z.number(),
  description: z.string().nullable().describe('What the feature means; null for a name this version does not know'),
  unit: z.string().nullable(),
})

const riskFields = {
  customerId: z.string(),
  probability: z.number().describe('P(churn within the 90 days after asOf)'),
  band: bandSchema,
  revenueAtRisk: z.int().describe('probability × MRR, integer minor units (cents)'),
  mrr: z.int().describe('Monthly recurring revenue, integer minor units'),
  plan: z.string().nullable(),
  drivers: z.array(driverSchema).describe('Largest contributions first; each with a human sentence and the feature value'),
  modelVersion: z.string(),
  asOf: z.string().describe('Features were computed from events up to this time'),
  scoredAt: z.string().describe('When the score was computed'),
  changeSeq: z.int().describe('Grows on every material change of this score (band, model, or a large move)'),
}

export const riskSchema = z
  .object({
    ...riskFields,
    keyFeatures: z.array(keyFeatureSchema),
    whatChanged: riskChangesSchema
      .nullable()
      .describe(
        'What changed at the last material change of this score, against the material score before it: drivers that entered, left or moved (old and new values); null for a score stored before this was recorded',
      ),
  })
  .describe('A customer’s current churn risk')
export const riskListItemSchema = z.object(riskFields).describe('A customer’s current churn risk (see /risk for key features)')
export type Risk = z.infer<typeof riskSchema>
export type RiskListItem = z.infer<typeof riskListItemSchema>

/** Either scheme authenticates (OpenAPI `security`: alternatives). */
export const securityRequirement: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKeyHeader: [] }]
