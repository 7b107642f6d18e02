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

export const EVENT_KINDS = ['usage', 'billing', 'account'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

/** Billing types whose event must carry the new `mrr`. */
export const MRR_REQUIRED_BILLING_TYPES = ['subscription_started', 'subscription_changed'] as const

/** Billing types that may carry contract terms (Stripe's subscription fields) without requiring mrr. */
const TERMS_BILLING_TYPES = ['invoice_paid', 'subscription_reactivated'] as const

/** Billing types with neither a required mrr nor contract terms. */
const PLAIN_BILLING_TYPES = ['payment_failed', 'subscription_ended'] as const

export const BILLING_TYPES = [
  ...MRR_REQUIRED_BILLING_TYPES,
  'invoice_paid',
  'payment_failed',
  'subscription_canceled',
  'subscription_ended',
  'subscription_reactivated',
] as const
export type BillingType = (typeof BILLING_TYPES)[number]

/** Billing types that may carry `interval`, `intervalCount`, `currentPeriodEnd` and `cancelAtPeriodEnd`. */
export const CONTRACT_TERMS_BILLING_TYPES = [...MRR_REQUIRED_BILLING_TYPES, ...TERMS_BILLING_TYPES] as const

/** Stripe's billing intervals. */
export const BILLING_INTERVALS = ['day', 'week', 'month', 'year'] as const
export type BillingInterval = (typeof BILLING_INTERVALS)[number]

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

// Contract terms, with Stripe's names (ADR 0002): all optional and additive, so that every event
// valid before them stays valid; where none are sent, the features package infers them.
const contractTermFields = {
  interval: z
    .enum(BILLING_INTERVALS, { error: typeMessage(`one of: ${BILLING_INTERVALS.join(', ')}`) })
    .optional()
    .describe('Billing interval of the subscription after the event (Stripe: plan.interval)'),
  intervalCount: z
    .int({ error: typeMessage('an integer >= 1') })
    .min(1, 'must be >= 1')
    .max(1000, 'must be <= 1000')
    .optional()
    .describe('Number of intervals per billing period, e.g. 3 with month for quarterly (Stripe: interval_count)'),
  currentPeriodEnd: isoDateTimeSchema
    .optional()
    .describe('End of the period now paid for: the next renewal (Stripe: current_period_end)'),
  cancelAtPeriodEnd: z
    .boolean({ error: typeMessage('true or false') })
    .optional()
    .describe('true = the subscription will not renew at currentPeriodEnd (Stripe: cancel_at_period_end)'),
}

const mrrRequiredBillingSchema = z.looseObject({
  ...billingFields,
  ...contractTermFields,
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

const termsBillingSchema = z.looseObject({
  ...billingFields,
  ...contractTermFields,
  type: z.enum(TERMS_BILLING_TYPES),
})

const canceledBillingSchema = z.looseObject({
  ...billingFields,
  type: z.literal('subscription_canceled'),
  effectiveAt: isoDateTimeSchema
    .optional()
    .describe('When service ends for this cancellation, e.g. the end of the paid period (Stripe: cancel_at)'),
})

const plainBillingSchema = z.looseObject({
  ...billingFields,
  type: z.enum(PLAIN_BILLING_TYPES),
})

const BILLING_TYPE_MESSAGE = `must be one of: ${BILLING_TYPES.join(', ')}`

// A discriminated union on `type` (rather than a refinement) puts the mrr rule into the
// TypeScript type and the JSON Schema too, not only into runtime validation.
export const billingEventSchema = z
  .discriminatedUnion('type', [mrrRequiredBillingSchema, termsBillingSchema, canceledBillingSchema, plainBillingSchema], {
    error: (issue) => (fieldOf(issue.input, 'type') === undefined ? 'is required' : BILLING_TYPE_MESSAGE),
  })
  .describe('A billing event on churn.billing.v1')

export type BillingEvent = z.infer<typeof billingEventSchema>

/** Most keys an account event's `attributes` may hold. */
export const MAX_ACCOUNT_ATTRIBUTES = 50
/** Longest attribute key and longest string attribute value, in UTF-16 characters. */
export const MAX_ATTRIBUTE_KEY_CHARS = 64
export const MAX_ATTRIBUTE_VALUE_CHARS = 256

const attributeValueSchema = z.union(
  [
    z.string().max(MAX_ATTRIBUTE_VALUE_CHARS, `must be at most ${MAX_ATTRIBUTE_VALUE_CHARS} characters`),
    z.number(),
    z.null(),
  ],
  { error: typeMessage('a string, a finite number or null') },
)

// Every descriptive field is optional and nullable: absent means "unchanged since the customer's
// previous account event", null means "no longer known" (the value is cleared), as in Stripe's
// updates. Limits keep one customer's attributes small enough to hold per customer while scoring.
export const accountEventSchema = z
  .looseObject({
    eventId: eventIdSchema,
    customerId: customerIdSchema,
    occurredAt: occurredAtSchema,
    kind: kindSchema('account'),
    name: textSchema(1, 256).nullable().optional().describe('Display name of the account'),
    segment: textSchema(1, 64).nullable().optional().describe('e.g. smb, mid_market, enterprise'),
    industry: textSchema(1, 64).nullable().optional(),
    country: textSchema(1, 64).nullable().optional().describe('ISO 3166-1 alpha-2 recommended, e.g. DE'),
    ownerId: textSchema(1, 128).nullable().optional().describe('The account owner or CSM in your CRM'),
    employees: z
      .int({ error: typeMessage('an integer >= 0') })
      .min(0, 'must be >= 0')
      .nullable()
      .optional()
      .describe('Headcount of the customer company'),
    attributes: z
      .record(
        z.string().min(1).max(MAX_ATTRIBUTE_KEY_CHARS),
        attributeValueSchema,
        {
          error: (issue) =>
            issue.code === 'invalid_key'
              ? `keys must be 1-${MAX_ATTRIBUTE_KEY_CHARS} characters`
              : typeMessage('a JSON object of strings and numbers')(issue),
        },
      )
      .refine((value) => Object.keys(value).length <= MAX_ACCOUNT_ATTRIBUTES, {
        error: `must have at most ${MAX_ACCOUNT_ATTRIBUTES} keys`,
      })
      .optional()
      .describe('Any other CRM fields, merged key by key over earlier events; null removes a key'),
  })
  .describe('An account (CRM) event on churn.accounts.v1')

export type AccountEvent = z.infer<typeof accountEventSchema>

export const churnEventSchema = z
  .discriminatedUnion('kind', [usageEventSchema, billingEventSchema, accountEventSchema], {
    error: (issue) =>
      fieldOf(issue.input, 'kind') === undefined ? 'is required' : `must be one of: ${EVENT_KINDS.join(', ')}`,
  })
  .describe('Any input event: usage, billing or account')

export type ChurnEvent = z.infer<typeof churnEventSchema>

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
}
