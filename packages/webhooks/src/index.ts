export {
  DEFAULT_TOLERANCE_SEC,
  generateSecret,
  SECRET_PREFIX,
  secretKey,
  signWebhook,
  verifyWebhook,
  WEBHOOK_HEADERS,
  webhookHeaders,
  type HeadersLike,
  type SignInput,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyResult,
  type WebhookHeaders,
} from './signing.js'
export { DEFAULT_BACKOFF, nextAttemptDelayMs, type BackoffOptions } from './schedule.js'
export {
  createWebhookDispatcher,
  ENDPOINT_DISABLED_EVENT,
  USER_AGENT,
  type DispatchSummary,
  type EndpointDisabled,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from './delivery.js'
export {
  classifyAddress,
  describeRefusal,
  refuseAddress,
  type AddressClass,
  type AddressRefusal,
  type DestinationPolicy,
} from './address-policy.js'
export {
  createDestinationGuard,
  systemResolveHost,
  type DestinationCheck,
  type DestinationGuard,
  type DestinationGuardOptions,
  type ResolvedAddress,
  type ResolveHost,
} from './destination-guard.js'
// The store port is declared in @churnwatch/contract so that @churnwatch/storage can implement it by name.
export type {
  WebhookAttemptOutcome as AttemptOutcome,
  WebhookDeliveryAttempt as DeliveryAttempt,
  WebhookOutboxMessage as OutboxMessage,
  WebhookStore,
} from '@churnwatch/contract'
export { DestinationRefusedError, WEBHOOKS_ERROR_CODES } from './errors.js'
