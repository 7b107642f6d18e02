export { simulateBusiness } from './simulate.js'
export { toNdjsonLines, truthToCsv, TRUTH_CSV_HEADER } from './serialize.js'
export { createRng, mixSeed, type Rng } from './rng.js'
export type {
  CustomerTruth,
  ResolvedSimulateOptions,
  SimAccountEvent,
  SimBillingEvent,
  SimBillingType,
  SimCancelReason,
  SimChurn,
  SimChurnReason,
  SimContractOptions,
  SimEvent,
  SimInterval,
  SimMonthTruth,
  SimPlan,
  SimSegment,
  SimUsageAction,
  SimUsageEvent,
  SimulateOptions,
  Simulation,
} from './types.js'
