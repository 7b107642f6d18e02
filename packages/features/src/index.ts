export { computeFeatures, toFeatureArray, type FeatureVector } from './compute.js'
export { factsAsOf, type AsOfFacts, type UsageFacts } from './as-of.js'
export {
  BASE_FEATURES,
  ACTION_FEATURE_PREFIX,
  ACTION_30D_FAMILY,
  FEATURE_REGISTRY,
  actionFeatureName,
  describeFeature,
  unsupportedFeatures,
  type FeatureDefinition,
  type FeatureFamily,
  type FeatureRegistry,
  type FeatureUnit,
} from './definitions.js'
export { formatCount, type DriverFacts } from './sentences.js'
export {
  ACTION_LIFETIME_FAMILY,
  ACTION_LIFETIME_PREFIX,
  ACTION_PER_MONTH_FAMILY,
  ACTION_PER_MONTH_PREFIX,
  LIFETIME_FEATURES,
  MIN_TENURE_MONTHS,
  actionLifetimeFeatureName,
  actionPerMonthFeatureName,
  tenureMonths,
} from './lifetime.js'
export {
  createActionTally,
  selectActions,
  tallyActions,
  twoProportionZ,
  DEFAULT_ACTION_CAP,
  DEFAULT_ACTION_SELECTION,
  type ActionSelection,
  type ActionSelectionRule,
  type ActionTally,
  type SelectedAction,
} from './action-selection.js'
export { createSelectingCollector, type SelectingCollector } from './training-selection.js'
export { FEATURE_ERROR_CODES } from './errors.js'
export {
  defineFeatureSet,
  featureSetOf,
  mostFrequentActions,
  DEFAULT_FEATURE_SET,
  DEFAULT_TRACKED_ACTIONS,
  type FeatureSet,
} from './feature-set.js'
export type { CustomerHistory, DailyActivity, DailyUsers, BillingRecord } from './history.js'
export type { AccountAttributeValue, AccountRecord } from './history.js'
export {
  addPeriods,
  contractStateAt,
  PERIOD_TOLERANCE,
  PRICE_CHANGE_AFTER_DAYS,
  PRICE_CHANGE_BEFORE_DAYS,
  type ContractPeriod,
  type ContractState,
  type IntervalSource,
} from './contract-terms.js'
export {
  CATEGORICAL_ATTRIBUTES,
  CATEGORY_FAMILIES,
  CATEGORY_SELECTION_DEFAULTS,
  EMPLOYEES_FEATURE,
  categoriesOf,
  categoryColumns,
  categoryFamily,
  categoryFeatureName,
  chooseCategoryFeatures,
  normaliseCategory,
  type CategoricalAttribute,
  type CategorySelectionOptions,
  type CategoryValues,
} from './categorical.js'
export { appendCategoryColumns } from './category-columns.js'
export { ACCOUNT_FIELDS, accountAsOf, toAccountRecord, type AccountField, type AccountState } from './account.js'
export { contractTermsOf, type ContractTerms } from './fold.js'
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
