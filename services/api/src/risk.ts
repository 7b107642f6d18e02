import { describeFeature, type FeatureDefinition } from '@churnwatch/features'
import type { StoredScore } from '@churnwatch/storage'
import type { Risk, RiskListItem } from './schemas.js'

// Feature definitions are pure and fixed per release, so each name is looked up once.
const definitions = new Map<string, FeatureDefinition | undefined>()

/**
 * The headline signals shown with every score (engagement, adoption, money, payment trouble,
 * intent to leave, support load). The drivers' own features are always added.
 */
export const KEY_FEATURES: readonly string[] = [
  'days_since_last_activity',
  'events_30d',
  'activity_trend_30d',
  'active_users_30d',
  'seat_utilization_30d',
  'tenure_days',
  'mrr',
  'mrr_change_90d',
  'failed_payments_90d',
  'payment_overdue',
  'cancellation_requested',
  'support_tickets_30d',
]

function definitionOf(name: string): FeatureDefinition | undefined {
  if (!definitions.has(name)) definitions.set(name, describeFeature(name))
  return definitions.get(name)
}

/** A stored score in its list shape. */
export function toRiskListItem(score: StoredScore): RiskListItem {
  return {
    customerId: score.customerId,
    probability: score.probability,
    band: score.band,
    revenueAtRisk: score.revenueAtRisk,
    mrr: score.mrr,
    plan: score.plan,
    drivers: score.drivers,
    modelVersion: score.modelVersion,
    asOf: score.asOf,
    scoredAt: score.scoredAt,
    changeSeq: score.changeSeq,
  }
}

/**
 * A stored score with its key features: the drivers' features (driver order), then the
 * KEY_FEATURES the score holds (in that order), each with its value, human description and unit.
 * The whole vector stays in storage; /v1/models/{version} describes every feature.
 */
export function toRisk(score: StoredScore): Risk {
  const names = score.drivers.map((d) => d.feature).filter((name, i, all) => all.indexOf(name) === i && name in score.features)
  for (const name of KEY_FEATURES) if (name in score.features && !names.includes(name)) names.push(name)
  return {
    ...toRiskListItem(score),
    whatChanged: score.changes,
    keyFeatures: names.map((name) => {
      const definition = definitionOf(name)
      return { name, value: score.features[name] ?? 0, description: definition?.description ?? null, unit: definition?.unit ?? null }
    }),
  }
}
