// The public surface of @churnwatch/storage, by aggregate: every export is named here.

// Connections, migrations, locks, errors.
export { createPool, pingDatabase, withTransaction, type Pool, type PoolClient, type PoolOptions, type Queryable } from './pool.js'
export { migrate, loadMigrations, type Migration, type MigrateResult } from './migrate.js'
export { ADVISORY_LOCKS, CUSTOMER_LOCK_HASH_SEED, lockCustomers, withSessionLock } from './locks.js'
export { isRetriableDbError, toStorageError } from './errors.js'

// Input events and the feature state folded from them.
export { insertNewEvents, readCustomerEvents, type StoredEvent } from './events.js'
export {
  addUsageDeltas,
  addUsageSummaries,
  insertAccountEvents,
  insertBillingEvents,
  readAccountHistories,
  readBillingHistories,
  upsertCustomerStates,
  type ActivityDeltaRow,
  type UserDayDeltaRow,
  type UsageSummaryRow,
  type CustomerStateRow,
  type AccountRow,
  type BillingRow,
  type BillingTerms,
} from './feature-state.js'
export { readCustomerHistories, readLifecycleHistories, digestFeatureState, type StoredHistory } from './histories.js'
export { readMetricsChanges, readMetricsHistories, type MetricsChanges, type MetricsHistory, type MetricsHistoryOptions } from './metrics-histories.js'
export { lockPartitionOffset, savePartitionOffset, readPartitionOffsets, type PartitionRef } from './offsets.js'

// Customers.
export { firstUsageDay, knownCustomers, listCustomerIds, storedEventRange, topActions } from './customers.js'

// Models.
export {
  insertModel,
  activateModel,
  listModels,
  getModel,
  getActiveModel,
  type ModelRecord,
  type NewModel,
} from './models.js'

// Scores: current scores, their history and the change feed.
export {
  countScoresByBand,
  customerFilterSql,
  deleteScores,
  listScores,
  readCurrentScores,
  readScoreHistory,
  readScoresByIds,
  saveScores,
  type CustomerFilters,
  type ScoreHistoryEntry,
  type ScoreHistoryPosition,
  type ScoreListPage,
  type ScoreListPosition,
  type ScoreListQuery,
  type ScoreRow,
  type ScoreSort,
  type ScoreWithPublished,
  type StoredScore,
} from './scores.js'
export { listenForScoreChanges, SCORE_CHANGES_CHANNEL, type ScoreChangeFeed, type ScoreChangeFeedOptions, type ScoreChangeListener } from './score-changes.js'

// Alerts and the events announcing their changes.
export {
  acknowledgeAlert,
  getAlert,
  listAlerts,
  lockLiveAlerts,
  lockLiveAlertsOfKind,
  recordAlertChanges,
  recordRiskChanges,
  resolveAlert,
  snoozeAlert,
  syncLiveAlertAccounts,
  wakeSnoozedAlerts,
  writeAlerts,
  type AlertListPosition,
  type AlertListQuery,
  type AlertRow,
  type AlertTransition,
  type SnoozedFilter,
} from './alerts.js'

// The Kafka outbox and its relay.
export { createOutboxRelay, enqueueKafkaMessages, relayKafkaOutbox, type KafkaOutboxMessage, type OutboxRelay } from './kafka-outbox.js'

// Webhook endpoints.
export {
  ALL_WEBHOOK_EVENTS,
  OPT_IN_WEBHOOK_EVENTS,
  createEndpoint,
  deleteEndpoint,
  enableEndpoint,
  getEndpoint,
  getEndpointSecret,
  listEndpoints,
  matchesRouting,
  type NewWebhookEndpoint,
  type Subscriber,
  type WebhookEndpoint,
  type WebhookRouting,
  type WebhookRoutingFilters,
} from './webhook-endpoints.js'

// The webhook outbox and its delivery log.
export {
  claimDueMessages,
  createWebhookStore,
  deliveryMessageId,
  disableEndpoint,
  enqueueTestWebhook,
  enqueueWebhookEvents,
  enqueueWebhooks,
  getWebhookMessage,
  listDeliveries,
  recordAttempt,
  redeliver,
  webhookHealth,
  webhookMessageId,
  type EnqueuedWebhook,
  type EnqueueWebhooksInput,
  type WebhookDelivery,
  type WebhookMessage,
  type WebhookMessageStatus,
} from './webhook-outbox.js'

// API keys.
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
export { readSegmentsAsOf } from './segments.js'
