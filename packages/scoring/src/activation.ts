import { ChurnwatchError } from '@churnwatch/contract'
import { FEATURE_REGISTRY, unsupportedFeatures, type FeatureRegistry } from '@churnwatch/features'
import { activateModel, getModel, type ModelRecord, type Pool } from '@churnwatch/storage'

/** Codes raised when a model cannot be activated or scored. */
export const SCORING_ERROR_CODES = {
  /** The model needs features this code has no definition for (renamed or removed since it was trained). */
  unsupportedFeatures: 'CW_MODEL_UNSUPPORTED_FEATURES',
} as const

/** A model version that needs features this code cannot compute; `missing` names each of them. */
export class UnsupportedFeaturesError extends ChurnwatchError {
  constructor(
    readonly version: string,
    readonly missing: readonly string[],
  ) {
    super(
      SCORING_ERROR_CODES.unsupportedFeatures,
      `model ${version} needs feature(s) this version of churnwatch does not compute: ${missing.join(', ')}; retrain, or activate a model trained on the current features`,
      { retriable: false },
    )
    this.name = 'UnsupportedFeaturesError'
  }
}

/** Throws UnsupportedFeaturesError when `registry` cannot compute every one of the model's features. */
export function assertFeaturesSupported(version: string, featureNames: readonly string[], registry: FeatureRegistry = FEATURE_REGISTRY): void {
  const missing = unsupportedFeatures(featureNames, registry)
  if (missing.length > 0) throw new UnsupportedFeaturesError(version, missing)
}

/**
 * Makes `version` the only active model after checking that this code computes every feature it
 * was trained on (so an activated model never fails at scoring time). Returns the activated
 * record, undefined for an unknown version; throws UnsupportedFeaturesError (nothing changes).
 * The one activation path: the API, `churnwatch train --activate` and `churnwatch models activate`.
 */
export async function activateModelVersion(pool: Pool, version: string, registry: FeatureRegistry = FEATURE_REGISTRY): Promise<ModelRecord | undefined> {
  const record = await getModel(pool, version)
  if (!record) return undefined
  assertFeaturesSupported(record.version, record.featureNames, registry)
  if (!(await activateModel(pool, version))) return undefined
  return getModel(pool, version)
}
