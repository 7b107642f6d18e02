// The public surface of @churnwatch/contract: every export is named here.
export {
  ChurnwatchError,
  CONTRACT_ERROR_CODES,
  isChurnwatchError,
  isRetriable,
  type ErrorCode,
} from './errors.js'
export { TOPICS, TOPIC_SPECS, type TopicKey, type TopicName, type TopicSpec } from './topics.js'
export { customerIdSchema, isoDateTimeSchema } from './fields.js'
export {
  accountEventSchema,
  BILLING_INTERVALS,
  BILLING_TYPES,
  CONTRACT_TERMS_BILLING_TYPES,
  MAX_ACCOUNT_ATTRIBUTES,
  MAX_ATTRIBUTE_KEY_CHARS,
  MAX_ATTRIBUTE_VALUE_CHARS,
  billingEventSchema,
  churnEventSchema,
  EVENT_KINDS,
  MRR_REQUIRED_BILLING_TYPES,
  usageEventSchema,
  type AccountEvent,
  type BillingEvent,
  type BillingInterval,
  type BillingType,
  type ChurnEvent,
  type EventKind,
  type UsageEvent,
} from './events.js'
export {
  ALERT_CHANGES,
  ALERT_KINDS,
  ALERT_STATUSES,
  alertEventSchema,
  deadLetterEventSchema,
  driverSchema,
  featuresChangedEventSchema,
  RISK_BANDS,
  riskScoreEventSchema,
  validationIssueSchema,
  type AlertChangeKind,
  type AlertEvent,
  type AlertKind,
  type AlertStatus,
  type DeadLetterEvent,
  type Driver,
  type FeaturesChangedEvent,
  type RiskBand,
  type RiskScoreEvent,
  type ValidationIssue,
} from './outputs.js'
export {
  alertChangeEvent,
  featuresChangedEvent,
  riskScoreEvent,
  type AlertFields,
  type FoldedBatchRef,
  type ScoreFields,
} from './output-events.js'
export {
  formatIssues,
  MAX_EVENT_BYTES,
  MAX_NESTING,
  NUL_MESSAGE,
  parseEvent,
  parseEventForTopic,
  parseFeaturesChanged,
  TOPIC_OF_KIND,
  toValidationIssues,
  type ParseEventResult,
} from './parse.js'
export { buildJsonSchemas } from './json-schema.js'
export type {
  ClaimWebhookOptions,
  DisableWebhookEndpoint,
  RecordedWebhookAttempt,
  WebhookAttemptOutcome,
  WebhookDeliveryAttempt,
  WebhookNotification,
  WebhookOutboxMessage,
  WebhookStore,
} from './webhook-store.js'
