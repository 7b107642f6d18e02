export { createPool, pingDatabase, withTransaction, type Pool, type PoolClient, type PoolOptions, type Queryable } from './pool.js'
export { listenForScoreChanges, SCORE_CHANGES_CHANNEL, type ScoreChangeFeed, type ScoreChangeFeedOptions, type ScoreChangeListener } from './score-changes.js'
export { migrate, loadMigrations, type Migration, type MigrateResult } from './migrate.js'
export { insertNewEvents, readCustomerEvents, type StoredEvent } from './events.js'
export {
  addUsageDeltas,
  addUsageSummaries,
  insertBillingEvents,
  readBillingHistories,
  upsertCustomerStates,
  type ActivityDeltaRow,
  type UserDayDeltaRow,
  type UsageSummaryRow,
  type CustomerStateRow,
  type BillingRow,
} from './feature-state.js'
export { readCustomerHistories, digestFeatureState, type StoredHistory } from './histories.js'
export { lockPartitionOffset, savePartitionOffset, readPartitionOffsets, type PartitionRef } from './offsets.js'
export { isRetriableDbError, toStorageError } from './errors.js'
export {
  insertModel,
  activateModel,
  listModels,
  getModel,
  getActiveModel,
  type ModelRecord,
  type NewModel,
} from './models.js'
export { listCustomerIds, storedEventRange, topActions, firstUsageDay } from './customers.js'
export {
  readCurrentScores,
  saveScores,
  deleteScores,
  lockCustomers,
  toStoredScore,
  SCORE_COLUMNS,
  type ScoreRow,
  type StoredScore,
} from './scores.js'
export { createOutboxRelay, enqueueKafkaMessages, relayKafkaOutbox, type KafkaOutboxMessage, type OutboxRelay } from './kafka-outbox.js'
export { alertChangeEvent, lockLiveAlerts, writeAlerts, getAlert, toAlertRow, ALERT_COLUMNS, type AlertRow } from './alerts.js'
export {
  ALL_WEBHOOK_EVENTS,
  claimDueMessages,
  createEndpoint,
  createWebhookStore,
  deleteEndpoint,
  disableEndpoint,
  enableEndpoint,
  enqueueWebhooks,
  getEndpoint,
  getEndpointSecret,
  getWebhookMessage,
  listDeliveries,
  listEndpoints,
  recordAttempt,
  redeliver,
  webhookMessageId,
  type AttemptOutcome,
  type ClaimedWebhookMessage,
  type ClaimOptions,
  type DisableEndpointInput,
  type EnqueuedWebhook,
  type EnqueueWebhooksInput,
  type NewWebhookEndpoint,
  type PgWebhookStore,
  type RecordedAttempt,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookMessage,
  type WebhookMessageStatus,
} from './webhooks.js'
export {
  API_KEY_SCOPES,
  createApiKey,
  hasScope,
  listApiKeys,
  parseApiKey,
  revokeApiKey,
  touchApiKey,
  verifyApiKey,
  type ApiKeyRecord,
  type ApiKeyScope,
  type CreatedApiKey,
  type NewApiKey,
} from './api-keys.js'
export {
  acknowledgeAlert,
  countScoresByBand,
  deliveryMessageId,
  enqueueTestWebhook,
  knownCustomers,
  LIFECYCLE_BILLING_TYPES,
  listAlerts,
  listScores,
  readLifecycleHistories,
  readScoreHistory,
  readScoresByIds,
  resolveAlert,
  webhookHealth,
  type AlertListPosition,
  type AlertListQuery,
  type AlertTransition,
  type ScoreHistoryEntry,
  type ScoreHistoryPosition,
  type ScoreListPage,
  type ScoreListPosition,
  type ScoreListQuery,
  type ScoreSort,
} from './api-queries.js'
