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

/** A driver in both the previous material score and this one whose value or contribution moved. */
export const driverMoveSchema = z.object({
  feature: textSchema(1, 128),
  oldValue: z.union([z.number(), z.string(), z.null()]),
  newValue: z.union([z.number(), z.string(), z.null()]),
  oldContribution: z.number(),
  newContribution: z.number(),
  sentence: textSchema(1, 500).describe('The driver\'s sentence as of this score'),
})

export type DriverMove = z.infer<typeof driverMoveSchema>

export const riskChangesSchema = z
  .object({
    previous: z
      .object({
        probability: probabilitySchema,
        band: z.enum(RISK_BANDS),
        modelVersion: textSchema(1, 128),
        asOf: isoDateTimeSchema.nullable().describe('asOf of the previous material score; null when stored before it was recorded'),
      })
      .nullable()
      .describe('The previous material score; null for a customer\'s first score'),
    entered: z.array(driverSchema).describe('Drivers of this score that the previous material score did not list'),
    left: z.array(driverSchema).describe('Drivers of the previous material score that this score no longer lists (as they were then)'),
    moved: z.array(driverMoveSchema).describe('Drivers in both whose value or contribution changed, largest contribution change first'),
  })
  .describe('What changed since the previous material score')

export type RiskChanges = z.infer<typeof riskChangesSchema>

export const riskScoreEventSchema = z
  .object({
    eventId: eventIdSchema,
    customerId: customerIdSchema,
    probability: probabilitySchema.describe('P(churn within the 90 days after asOf)'),
    band: z.enum(RISK_BANDS),
    drivers: z.array(driverSchema).describe('Largest contributions first'),
    modelVersion: textSchema(1, 128),
    asOf: isoDateTimeSchema.describe('Features were computed from events up to this time'),
    changes: riskChangesSchema.optional().describe('What changed since the previous material score (also the risk_changed webhook payload)'),
  })
  .describe('A customer score on churn.risk-scores.v1')

export type RiskScoreEvent = z.infer<typeof riskScoreEventSchema>

export const ALERT_KINDS = ['risk_high', 'payment_failed', 'cancel_requested', 'usage_drop', 'renewal_at_risk', 'churn_rate_spike'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

/** The webhook kind of every material score change (opt-in: '*' does not include it). */
export const RISK_CHANGED_EVENT = 'risk_changed'

export const CHURN_SPIKE_PERIODS = ['month', 'week'] as const
export type ChurnSpikePeriod = (typeof CHURN_SPIKE_PERIODS)[number]

/** The churn-rate test behind a churn_rate_spike alert (ADR 0016). */
export const churnSpikeScopeSchema = z
  .object({
    period: z.enum(CHURN_SPIKE_PERIODS).describe('Month-to-date or week-to-date (ISO week), UTC'),
    segment: z.string().nullable().describe('The account segment tested; null for the whole base'),
    periodStart: isoDateTimeSchema,
    customersAtStart: z.int().min(0).describe('Customers active at the period start: the binomial n'),
    churned: z.int().min(0).describe('Of them, ended so far in the period'),
    rate: z.number().describe('churned / customersAtStart'),
    baselineRate: z.number().describe('Churned / customers at start over the trailing complete periods'),
    expectedChurned: z.number().describe('customersAtStart x baselineRate x elapsed share of the period'),
    pValue: z.number().describe('One-sided binomial P(X >= churned), X ~ Bin(customersAtStart, baselineRate x elapsed share)'),
    level: z.number().describe('Significance level the p-value was below'),
  })
  .describe('The scope and test of an operator alert about the churn rate itself')

export type ChurnSpikeScope = z.infer<typeof churnSpikeScopeSchema>

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
    renewalAt: isoDateTimeSchema
      .optional()
      .describe('renewal_at_risk: the next renewal (end of the period paid for) as of the score'),
    mrrAtStake: minorUnitsSchema.optional().describe('renewal_at_risk: the contract value at renewal, MRR x months in the billing period'),
    reason: z.string().nullable().optional().describe('cancel_requested: the cancellation reason as the billing system sent it (null: none sent)'),
    reasonCategory: z.string().optional().describe('cancel_requested: the reason rule it matched (price, missing_feature, ...; unknown)'),
    scope: churnSpikeScopeSchema
      .optional()
      .describe('churn_rate_spike: an operator alert about no one customer; customerId then names the scope (churnwatch:churn-rate:...)'),
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
