import { activateModel, getModel, listModels, type ModelRecord, type Pool } from '@churnwatch/storage'
import type { Output } from '../output.js'

interface ModelsDeps {
  db: () => Promise<Pool>
  output: Output
}

/** Prints every registered model version, newest first, as a table on stdout. */
export async function listModelVersions(deps: ModelsDeps): Promise<ModelRecord[]> {
  const models = await listModels(await deps.db())
  deps.output.data('version\tkind\tactive\ttrainedAsOf\tcreatedAt\tactivatedAt\tholdoutRocAuc\n')
  for (const m of models) {
    deps.output.data(
      `${m.version}\t${m.kind}\t${m.active ? 'yes' : 'no'}\t${m.trainedAsOf.toISOString()}\t${m.createdAt.toISOString()}\t` +
        `${m.activatedAt?.toISOString() ?? '-'}\t${formatRocAuc(m.metrics)}\n`,
    )
  }
  if (models.length === 0) deps.output.info('no models yet: train one with `churnwatch train --as-of T`')
  return models
}

/**
 * Makes an existing version the active model with the same storage function as the API's
 * `POST /v1/models/{version}/activate`; running scorers pick it up within their poll interval.
 */
export async function activateModelVersion(version: string, deps: ModelsDeps): Promise<ModelRecord> {
  const pool = await deps.db()
  if (!(await activateModel(pool, version))) throw new Error(`unknown model version "${version}" (see \`churnwatch models list\`)`)
  const model = await getModel(pool, version)
  if (!model) throw new Error(`unknown model version "${version}" (see \`churnwatch models list\`)`)
  deps.output.info(`activated model ${model.version} (${model.kind}); running scorers pick it up within their model poll interval and rescore everyone`)
  return model
}

function formatRocAuc(metrics: Record<string, unknown>): string {
  const holdout = metrics.holdout
  const rocAuc = typeof holdout === 'object' && holdout !== null && 'rocAuc' in holdout ? holdout.rocAuc : undefined
  return typeof rocAuc === 'number' ? rocAuc.toFixed(3) : '-'
}
