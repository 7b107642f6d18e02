import type { Logger } from '@churnwatch/observability'
import type { Pool } from '@churnwatch/storage'
import { selectTensorflowBackend, trainAndRegister, type TrainOutcome, type TrainRequest } from '@churnwatch/training'

/** The training job: one run of the point-in-time pipeline, with progress in the logs. */
export function createTrainer(deps: { pool: Pool; log: Logger }) {
  const log = deps.log.child({ component: 'trainer' })
  return {
    async run(request: Omit<TrainRequest, 'onProgress'>): Promise<TrainOutcome> {
      const backend = request.kind === 'logistic' ? await selectTensorflowBackend() : undefined
      log.info({ asOf: request.asOf, kind: request.kind, backend }, 'training started')
      let lastLog = 0
      const outcome = await trainAndRegister(deps.pool, {
        ...request,
        onProgress: (event) => {
          if (event.phase !== 'reading' || Date.now() - lastLog > 5_000) {
            lastLog = Date.now()
            log.info(event, 'training progress')
          }
        },
      })
      log.info(
        {
          version: outcome.version,
          created: outcome.created,
          activated: outcome.activated,
          rocAuc: outcome.holdout.rocAuc,
          prAuc: outcome.holdout.prAuc,
          brier: outcome.holdout.brier,
          topDecileLift: outcome.holdout.topDecileLift,
          baselineRocAuc: outcome.baselineRocAuc,
          trainingRows: outcome.trainingRows,
          holdoutRows: outcome.holdoutRows,
          trainMs: outcome.trainMs,
        },
        'model trained',
      )
      return outcome
    },
  }
}
