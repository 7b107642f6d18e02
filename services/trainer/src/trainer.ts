import type { Logger } from '@churnwatch/observability'
import type { Pool } from '@churnwatch/storage'
import { selectTensorflowBackend, trainAndRegister, type TrainOutcome, type TrainRequest } from '@churnwatch/training'

/** The training job: one run of the point-in-time pipeline, with progress in the logs. */
export function createTrainer(deps: { pool: Pool; log: Logger }) {
  const log = deps.log.child({ component: 'trainer' })
  return {
    async run(request: Omit<TrainRequest, 'onProgress'>): Promise<TrainOutcome> {
      // Only logistic regression runs on tfjs, and auto may choose it.
      const backend = request.kind === 'gbdt' ? undefined : await selectTensorflowBackend()
      log.info({ asOf: request.asOf, kind: request.kind, backend }, 'training started')
      let lastLog = 0
      const outcome = await trainAndRegister(deps.pool, {
        ...request,
        onProgress: (event) => {
          const periodic = event.phase === 'reading' || (event.phase === 'selecting' && event.selection !== undefined)
          if (!periodic || Date.now() - lastLog > 5_000) {
            lastLog = Date.now()
            log.info(event, 'training progress')
          }
        },
      })
      if (outcome.selection !== null) {
        const s = outcome.selection
        log.info(
          {
            chosen: s.chosen.name,
            rounds: s.chosen.rounds,
            strategy: s.strategy,
            folds: s.folds,
            candidates: s.candidates.map((c) => ({ name: c.name, pruned: c.pruned, rounds: c.rounds, ...c.mean })),
            reason: s.reason,
          },
          'model selected',
        )
      }
      log.info(
        {
          version: outcome.version,
          kind: outcome.kind,
          requestedKind: outcome.requestedKind,
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
