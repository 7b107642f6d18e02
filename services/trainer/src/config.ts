import { databaseUrl, logLevel } from '@churnwatch/config'
import { z } from 'zod'

export const trainerConfigSchema = z.object({
  DATABASE_URL: databaseUrl(),
  /** Train with what was observable at this instant; unset = now (the job's start). */
  TRAIN_AS_OF: z.iso.datetime({ offset: true }).optional(),
  /** auto: choose the family and settings on validation folds of the training rows (ADR 0011). */
  TRAIN_MODEL: z.enum(['auto', 'logistic', 'gbdt']).default('auto'),
  TRAIN_ACTIVATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  TRAIN_INTERVAL_DAYS: z.coerce.number().int().positive().default(30),
  TRAIN_HOLDOUT_DATES: z.coerce.number().int().positive().default(2),
  TRAIN_SEED: z.coerce.number().int().min(0).default(1),
  LOG_LEVEL: logLevel(),
})

export type TrainerConfig = z.infer<typeof trainerConfigSchema>

/** The only reader of process.env in this service. */
export function readEnv(): Record<string, string | undefined> {
  return process.env
}
