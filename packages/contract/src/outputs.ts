import { z } from 'zod'
import {
  currencySchema,
  customerIdSchema,
  eventIdSchema,
  isoDateTimeSchema,
  minorUnitsSchema,
  probabilitySchema,
  textSchema,
  typeMessage,
} from './fields.js'

// Output events are plain objects: we produce them, so parsing strips unknown fields, and their
// JSON Schemas (io "input") leave additionalProperties open so v1 can grow without breaking
// consumers that validate.

export const validationIssueSchema = z.object({
  path: z.string().describe('Dotted path into the event, "" for the whole message'),
  message: z.string(),
})

export type ValidationIssue = z.infer<typeof validationIssueSchema>

export const driverSchema = z.object({
  feature: textSchema(1, 128).describe('Feature name (per-action features are action_30d:<action>)'),
  value: z.union([z.number(), z.string(), z.null()]).describe('The feature value as of the score'),
  contribution: z.number({ error: typeMessage('a finite number') }).describe('Signed effect on the score'),
  sentence: textSchema(1, 500).describe('Human explanation, e.g. "No logins in the last 21 days"'),
})

export type Driver = z.infer<typeof driverSchema>

export const RISK_BANDS = ['low', 'medium', 'high'] as const
export type RiskBand = (typeof RISK_BANDS)[number]

export const riskScoreEventSchema = z
  .object({
    eventId: eventIdSchema,
    customerId: customerIdSchema,
    probability: probabilitySchema.describe('P(churn within the 90 days after asOf)'),
    band: z.enum(RISK_BANDS),
    drivers: z.array(driverSchema).describe('Largest contributions first'),
    modelVersion: textSchema(1, 128),
    asOf: isoDateTimeSchema.describe('Features were computed from events up to this time'),
  })
  .describe('A customer score on churn.risk-scores.v1')

export type RiskScoreEvent = z.infer<typeof riskScoreEventSchema>

export const ALERT_KINDS = ['risk_high', 'payment_failed', 'cancel_requested', 'usage_drop'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const
export type AlertStatus = (typeof ALERT_STATUSES)[number]

/** What happened to an alert: the scorer opens, updates and resolves; a person acknowledges, snoozes or resolves. */
export const ALERT_CHANGES = ['opened', 'updated', 'acknowledged', 'resolved', 'snoozed'] as const
export type AlertChangeKind = (typeof ALERT_CHANGES)[number]

export const alertEventSchema = z
  .object({
    eventId: eventIdSchema,
    alertId: textSchema(1, 128).describe('Stable across the alert\'s status changes'),
    customerId: customerIdSchema,
    kind: z.enum(ALERT_KINDS),
    status: z.enum(ALERT_STATUSES),
    probability: probabilitySchema.describe('Churn probability when the alert was raised or updated'),
    revenueAtRisk: minorUnitsSchema.describe('Revenue at risk: probability x the customer\'s current MRR, rounded, integer minor units'),
    currency: currencySchema.optional(),
    drivers: z.array(driverSchema),
    play: z.string().min(1).describe('Suggested customer-success action'),
    change: z.enum(ALERT_CHANGES).describe('What this event announces; status is the alert\'s status after it'),
    createdAt: isoDateTimeSchema,
    updatedAt: isoDateTimeSchema,
    // Issue 13 (ADR 0015): routing facts; optional so that events written before them still parse.
    ownerId: z.string().nullable().optional().describe('The customer\'s account owner (account events); null when unknown'),
    segment: z.string().nullable().optional().describe('The customer\'s segment (account events); null when unknown'),
  })
  .describe('An alert raised or updated, on churn.alerts.v1')

export type AlertEvent = z.infer<typeof alertEventSchema>

export const featuresChangedEventSchema = z
  .object({
    eventId: eventIdSchema,
    customerId: customerIdSchema,
    eventCount: z.int().min(1).describe('New input events applied for this customer in the batch'),
    maxOccurredAt: isoDateTimeSchema.describe('Latest event time among them; the as-of time when replaying'),
    changedAt: isoDateTimeSchema.describe('When the feature builder committed the change'),
  })
  .describe('A customer\'s stored features changed, on churn.features-changed.v1')

export type FeaturesChangedEvent = z.infer<typeof featuresChangedEventSchema>

export const deadLetterEventSchema = z
  .object({
    eventId: eventIdSchema,
    topic: textSchema(1, 249).describe('Topic the message was read from'),
    partition: z.int().min(0),
    offset: z
      .string()
      .regex(/^\d+$/, 'must be a decimal string')
      .describe('Kafka offset as a decimal string (int64 does not fit a JSON number)'),
    key: z.string().nullable().describe('Original message key (normally customerId); null when absent'),
    originalBase64: z.base64().nullable().describe('Original message value, base64; null when the value was null'),
    error: z.object({
      code: z.templateLiteral(['CW_', z.string().regex(/^[A-Z0-9_]+$/)]),
      message: z.string(),
      issues: z.array(validationIssueSchema),
    }),
    failedAt: isoDateTimeSchema,
  })
  .describe('A message that could not be processed, on churn.dead-letter.v1')

export type DeadLetterEvent = z.infer<typeof deadLetterEventSchema>
