import { activateModelVersion } from '@churnwatch/scoring'
import { listModels, type ModelRecord, type Pool } from '@churnwatch/storage'
import type { Output } from '../output.js'

interface ModelsDeps {
  db: () => Promise<Pool>
  output: Output
}

/** Prints every registered model version, newest first, as a table on stdout. */
export async function listModelVersions(deps: ModelsDeps): Promise<ModelRecord[]> {
  const models = await listModels(await deps.db())
  deps.output.data('version\tkind\tactive\ttrainedAsOf\tcreatedAt\tactivatedAt\tholdoutRocAuc\tholdoutPrAuc\tholdoutLift\n')
  for (const m of models) {
    deps.output.data(
      `${m.version}\t${m.kind}\t${m.active ? 'yes' : 'no'}\t${m.trainedAsOf.toISOString()}\t${m.createdAt.toISOString()}\t` +
        `${m.activatedAt?.toISOString() ?? '-'}\t${holdoutMetric(m.metrics, 'rocAuc', 3)}\t${holdoutMetric(m.metrics, 'prAuc', 3)}\t` +
        `${holdoutMetric(m.metrics, 'topDecileLift', 2)}\n`,
    )
  }
  if (models.length === 0) deps.output.info('no models yet: train one with `churnwatch train --as-of T`')
  return models
}

/**
 * Makes an existing version the active model through the same function as the API's
 * `POST /v1/models/{version}/activate` (a model needing features this code lacks is refused);
 * running scorers pick it up within their poll interval.
 */
export async function activateExistingModel(version: string, deps: ModelsDeps): Promise<ModelRecord> {
  const model = await activateModelVersion(await deps.db(), version)
  if (!model) throw new Error(`unknown model version "${version}" (see \`churnwatch models list\`)`)
  deps.output.info(`activated model ${model.version} (${model.kind}); running scorers pick it up within their model poll interval and rescore everyone`)
  return model
}

// PR AUC and top-decile lift beside ROC AUC: a team that calls its top 10 % reads those first.
function holdoutMetric(metrics: Record<string, unknown>, name: 'rocAuc' | 'prAuc' | 'topDecileLift', digits: number): string {
  const holdout = metrics.holdout
  const value = typeof holdout === 'object' && holdout !== null && name in holdout ? (holdout as Record<string, unknown>)[name] : undefined
  return typeof value === 'number' ? value.toFixed(digits) : '-'
}
