export { computeFeatures, toFeatureArray, type FeatureVector } from './compute.js'
export {
  BASE_FEATURES,
  ACTION_FEATURE_PREFIX,
  actionFeatureName,
  describeFeature,
  type FeatureDefinition,
} from './definitions.js'
export {
  defineFeatureSet,
  mostFrequentActions,
  DEFAULT_FEATURE_SET,
  DEFAULT_TRACKED_ACTIONS,
  type FeatureSet,
} from './feature-set.js'
export type { CustomerHistory, DailyActivity, DailyUsers, BillingRecord } from './history.js'
export {
  subscriptionStateAt,
  isActiveAt,
  sortBilling,
  type SubscriptionState,
  type SubscriptionStatus,
} from './subscription.js'
export { dayNumber, dayNumberOf, utcDay, toEpochMs, MS_PER_DAY } from './time.js'
export {
  bucketUsageEvents,
  toBillingRecord,
  historyFromEvents,
  type ActivityDelta,
  type UserDayDelta,
} from './fold.js'
export {
  planObservations,
  churnLabel,
  trainingExamples,
  type ObservationPlan,
  type TrainingExample,
} from './training.js'
