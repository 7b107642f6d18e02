import { z } from 'zod'
import {
  currencySchema,
  customerIdSchema,
  eventIdSchema,
  isoDateTimeSchema,
  minorUnitsSchema,
  textSchema,
  typeMessage,
} from './fields.js'

// Input events are loose objects: unknown extra fields survive parsing so that storage keeps
// them (design: "kept in storage but ignored by features").

export const EVENT_KINDS = ['usage', 'billing'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

/** Billing types whose event must carry the new `mrr`. */
export const MRR_REQUIRED_BILLING_TYPES = ['subscription_started', 'subscription_changed'] as const

const MRR_OPTIONAL_BILLING_TYPES = [
  'invoice_paid',
  'payment_failed',
  'subscription_canceled',
  'subscription_ended',
  'subscription_reactivated',
] as const

export const BILLING_TYPES = [...MRR_REQUIRED_BILLING_TYPES, ...MRR_OPTIONAL_BILLING_TYPES] as const
export type BillingType = (typeof BILLING_TYPES)[number]

const kindSchema = <K extends EventKind>(kind: K) =>
  z.literal(kind, { error: (issue) => (issue.input === undefined ? 'is required' : `must be "${kind}"`) })

const occurredAtSchema = isoDateTimeSchema.describe('Event time; drives every feature (never arrival time)')

export const usageEventSchema = z
  .looseObject({
    eventId: eventIdSchema,
    customerId: customerIdSchema,
    occurredAt: occurredAtSchema,
    kind: kindSchema('usage'),
    action: textSchema(1, 64).describe('Free vocabulary: login, api_call, seat_added, ...'),
    quantity: z
      .number({ error: typeMessage('a finite number') })
      .min(0, 'must be >= 0')
      .default(1)
      .describe('How much of the action, e.g. API calls in a batch'),
    userId: textSchema(1, 128).optional().describe('The seat or end user'),
    properties: z
      .record(z.string(), z.unknown(), { error: typeMessage('a JSON object') })
      .optional()
      .describe('Free-form context; stored, not used by features'),
  })
  .describe('A product usage event on churn.usage.v1')

export type UsageEvent = z.infer<typeof usageEventSchema>

const billingFields = {
  eventId: eventIdSchema,
  customerId: customerIdSchema,
  occurredAt: occurredAtSchema,
  kind: kindSchema('billing'),
  mrr: minorUnitsSchema.optional().describe('Monthly recurring revenue after the event, integer minor units'),
  amount: minorUnitsSchema.optional().describe('Invoice or payment amount, integer minor units'),
  currency: currencySchema.optional(),
  plan: textSchema(1, 64).optional(),
  reason: textSchema(1, 64).optional().describe('Why the customer canceled or ended'),
  voluntary: z
    .boolean({ error: typeMessage('true or false') })
    .optional()
    .describe('false = involuntary, e.g. failed payments'),
}

const mrrRequiredBillingSchema = z.looseObject({
  ...billingFields,
  type: z.enum(MRR_REQUIRED_BILLING_TYPES),
  mrr: z
    .int({
      error: (issue) =>
        issue.input === undefined
          ? `is required for ${MRR_REQUIRED_BILLING_TYPES.join(' and ')}`
          : typeMessage('an integer in minor units (e.g. cents)')(issue),
    })
    .min(0, 'must be >= 0')
    .describe('Monthly recurring revenue after the event, integer minor units'),
})

const mrrOptionalBillingSchema = z.looseObject({
  ...billingFields,
  type: z.enum(MRR_OPTIONAL_BILLING_TYPES),
})

const BILLING_TYPE_MESSAGE = `must be one of: ${BILLING_TYPES.join(', ')}`

// A discriminated union on `type` (rather than a refinement) puts the mrr rule into the
// TypeScript type and the JSON Schema too, not only into runtime validation.
export const billingEventSchema = z
  .discriminatedUnion('type', [mrrRequiredBillingSchema, mrrOptionalBillingSchema], {
    error: (issue) => (fieldOf(issue.input, 'type') === undefined ? 'is required' : BILLING_TYPE_MESSAGE),
  })
  .describe('A billing event on churn.billing.v1')

export type BillingEvent = z.infer<typeof billingEventSchema>

export const churnEventSchema = z
  .discriminatedUnion('kind', [usageEventSchema, billingEventSchema], {
    error: (issue) =>
      fieldOf(issue.input, 'kind') === undefined ? 'is required' : `must be one of: ${EVENT_KINDS.join(', ')}`,
  })
  .describe('Any input event: usage or billing')

export type ChurnEvent = z.infer<typeof churnEventSchema>

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
}
