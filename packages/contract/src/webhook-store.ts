// The port between the webhook outbox (@churnwatch/storage implements it over PostgreSQL) and the
// dispatcher that delivers it (@churnwatch/webhooks). Declared here, in the pure package both
// depend on, because neither adapter may depend on the other (the webhooks tests use storage).

/** A due outbox message leased to one worker until `leaseUntil`, with what is needed to send it. */
export interface WebhookOutboxMessage {
  messageId: string
  endpointId: string
  url: string
  secret: string
  endpointDescription: string
  eventType: string
  payload: Record<string, unknown>
  customerId: string | null
  createdAt: Date
  /** Attempts made before this one. */
  attempts: number
  /** Retries stop a maximum age after this: creation, or the last manual redelivery. */
  retryWindowStart: Date
  /** The lease; an attempt is only recorded while the message still carries it. */
  leaseUntil: Date
}

export type WebhookAttemptOutcome = { status: 'delivered' } | { status: 'failed'; nextAttemptAt: Date } | { status: 'dead' }

/** One delivery attempt of a leased message. */
export interface WebhookDeliveryAttempt {
  messageId: string
  endpointId: string
  leaseUntil: Date
  attemptedAt: Date
  /** Null when no HTTP response came back. */
  statusCode: number | null
  latencyMs: number
  error: string | null
  outcome: WebhookAttemptOutcome
}

export interface RecordedWebhookAttempt {
  /** False when the lease was lost (redelivered, endpoint disabled or re-claimed): the outbox row was left alone. */
  applied: boolean
  /** The endpoint's failing_since after this attempt. */
  endpointFailingSince: Date | null
}

export interface ClaimWebhookOptions {
  limit: number
  now: Date
  /** How long other workers must leave the claimed messages alone; longer than a delivery can take. */
  leaseMs: number
}

/** An event for every endpoint subscribed to `eventType`; `messageIdPrefix` is its stable id. */
export interface WebhookNotification {
  eventType: string
  payload: Record<string, unknown>
  messageIdPrefix: string
}

export interface DisableWebhookEndpoint {
  endpointId: string
  reason: string
  now?: Date
  /** An event for the other subscribed endpoints, enqueued in the same transaction. */
  notify?: WebhookNotification
}

/** The persistence the webhook dispatcher needs. */
export interface WebhookStore {
  claimDueMessages: (options: ClaimWebhookOptions) => Promise<WebhookOutboxMessage[]>
  recordAttempt: (attempt: WebhookDeliveryAttempt) => Promise<RecordedWebhookAttempt>
  /** Disables the endpoint, gives up its messages and enqueues `notify` to the others in one transaction; false if already disabled. */
  disableEndpoint: (input: DisableWebhookEndpoint) => Promise<boolean>
}
