import { Command, InvalidArgumentError } from 'commander'
import { backfill } from './commands/backfill.js'
import { collectScope, createKey, listKeys, revokeKey, type KeyScope } from './commands/keys.js'
import { printMetrics } from './commands/metrics.js'
import { activateExistingModel, listModelVersions } from './commands/models.js'
import { produce } from './commands/produce.js'
import { score } from './commands/score.js'
import { simulate } from './commands/simulate.js'
import { train } from './commands/train.js'
import type { CliContext } from './context.js'

const integer = (flag: string, min: number) => (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer >= ${min}, got "${value}"`)
  return n
}
const positive = (flag: string) => (value: string) => {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a number > 0, got "${value}"`)
  return n
}
const share = (flag: string) => (value: string) => {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${flag} must be a number in [0, 1], got "${value}"`)
  return n
}

interface SimulateFlags {
  customers: number
  months: number
  out: string
  seed: number
  start?: string
  eventsPerUserDay?: number
  annualShare?: number
  noticeDays?: number
  accounts: boolean
}

export const isoInstant = (flag: string) => (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError(`${flag} must be an ISO-8601 date or instant with a zone (2026-06-01 or 2026-06-01T00:00:00Z), got "${value}"`)
  }
  return value.length === 10 ? `${value}T00:00:00Z` : value
}

/** Builds the `churnwatch` command tree; each action gets the lazily connected context. */
export function buildProgram(context: CliContext): Command {
  const program = new Command('churnwatch')
    .description('churnwatch: churn prediction for subscription businesses')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeErr: (s) => context.output.info(s.trimEnd()), writeOut: (s) => context.output.data(s) })

  program
    .command('simulate')
    .description('write a seeded synthetic business: DIR/events.ndjson (by occurredAt) and DIR/truth.csv')
    .requiredOption('--customers <n>', 'number of customers', integer('--customers', 1))
    .requiredOption('--months <n>', 'months of history', integer('--months', 1))
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'random seed', integer('--seed', 0), 1)
    .option('--start <date>', 'first day (UTC)', isoInstant('--start'))
    .option('--events-per-user-day <x>', 'usage volume per active user per day (default 1)', positive('--events-per-user-day'))
    .option('--annual-share <x>', 'contract terms on: share of annual contracts in [0, 1] (renewal dates, notice, 12 x MRR invoices)', share('--annual-share'))
    .option('--notice-days <n>', 'days of notice before an annual renewal (default 30; needs --annual-share)', integer('--notice-days', 2))
    .option('--accounts', 'segments, owners and account events on churn.accounts.v1', false)
    .action(async (opts: SimulateFlags) => {
      if (opts.noticeDays !== undefined && opts.annualShare === undefined) {
        throw new Error('--notice-days needs --annual-share (contract terms are off without it)')
      }
      await simulate(opts, context.output)
    })

  program
    .command('produce')
    .description('publish an NDJSON file of contract events to churn.usage.v1 / churn.billing.v1 / churn.accounts.v1, keyed by customerId')
    .argument('<file>', 'NDJSON file, one event per line')
    .option('--wait', 'return only when the feature builder has processed every message', false)
    .option('--wait-timeout <seconds>', 'give up waiting after this long', integer('--wait-timeout', 1), 1_800)
    .action(async (file: string, opts: { wait: boolean; waitTimeout: number }) => {
      const config = context.kafkaConfig()
      await produce(
        { file, wait: opts.wait, waitTimeoutMs: opts.waitTimeout * 1000, topicPrefix: config.KAFKA_TOPIC_PREFIX, groupId: config.FEATURE_BUILDER_GROUP_ID },
        { kafka: context.kafka(), pool: context.pool, output: context.output },
      )
    })

  program
    .command('backfill')
    .description('load an NDJSON file of contract events straight into PostgreSQL (no Kafka), with the feature builder\'s fold')
    .argument('<file>', 'NDJSON file, one event per line')
    .action(async (file: string) => {
      await backfill(file, { db: context.db, output: context.output })
    })

  program
    .command('train')
    .description('train a model from stored history as observable at --as-of, print its holdout evaluation, store it')
    .requiredOption('--as-of <time>', 'train with what was known at this time (labels end by then)', isoInstant('--as-of'))
    .option('--model <kind>', 'auto (choose the family and settings on validation folds), logistic or gbdt', modelKind, 'auto')
    .option('--activate', 'make it the active model', false)
    .option('--interval-days <n>', 'days between observation dates', integer('--interval-days', 1), 30)
    .option('--holdout-dates <n>', 'last observation dates kept for the evaluation', integer('--holdout-dates', 1), 2)
    .option('--seed <n>', 'random seed', integer('--seed', 0), 1)
    .action(async (opts: { asOf: string; model: 'logistic' | 'gbdt' | 'auto'; activate: boolean; intervalDays: number; holdoutDates: number; seed: number }) => {
      await train(opts, { db: context.db, output: context.output })
    })

  program
    .command('score')
    .description('score every customer active at --as-of with the active model into a CSV file')
    .requiredOption('--as-of <time>', 'score as of this time', isoInstant('--as-of'))
    .requiredOption('--out <file>', 'CSV file: customerId,probability,band,revenueAtRisk,driver1,driver2,driver3')
    .action(async (opts: { asOf: string; out: string }) => {
      await score(opts, { db: context.db, output: context.output })
    })

  program
    .command('metrics')
    .description('churn, MRR churn, ARPA, LTV, GRR/NRR, quick ratio and early churn per period: the figures of GET /v1/metrics/churn')
    .requiredOption('--from <time>', 'first period (rounded down to its start)', isoInstant('--from'))
    .requiredOption('--to <time>', 'exclusive end; the last period is cut here', isoInstant('--to'))
    .option('--interval <interval>', 'week, month or quarter', oneOf('--interval', ['week', 'month', 'quarter'] as const), 'month')
    .option('--group-by <dimension>', 'also split by segment, plan, ownerId or interval (billing interval)', oneOf('--group-by', ['segment', 'plan', 'ownerId', 'interval'] as const))
    .option('--count-churn-at <when>', 'end (subscription_ended, the model\'s label) or cancel (the cancel request)', oneOf('--count-churn-at', ['end', 'cancel'] as const), 'end')
    .option('--gross-margin <x>', 'gross margin in (0, 1] for the margin-adjusted LTV', grossMargin, 1)
    .option('--format <format>', 'table (a block per group, periods across) or csv (a row per group and period)', oneOf('--format', ['table', 'csv'] as const), 'table')
    .action(async (opts: Parameters<typeof printMetrics>[0]) => {
      await printMetrics(opts, { db: context.db, output: context.output })
    })

  const models = program.command('models').description('registered model versions: list them, activate one')
  models
    .command('list')
    .description('list model versions, newest first, with the active one marked')
    .action(async () => {
      await listModelVersions({ db: context.db, output: context.output })
    })
  models
    .command('activate')
    .description('make an existing model version the active one (as POST /v1/models/{version}/activate does)')
    .argument('<version>', 'the model version, as `churnwatch models list` prints it')
    .action(async (version: string) => {
      await activateExistingModel(version, { db: context.db, output: context.output })
    })

  const keys = program.command('keys').description('API keys for the churnwatch API (stored hashed; a key is shown once)')
  keys
    .command('create')
    .description('create an API key and print it once to stdout')
    .requiredOption('--scope <scope...>', 'read, events:write, alerts:write and/or admin (admin implies the others)', collectScope)
    .option('--name <name>', 'who or what uses the key')
    .action(async (opts: { scope: KeyScope[]; name?: string }) => {
      await createKey({ scopes: opts.scope, ...(opts.name !== undefined ? { name: opts.name } : {}) }, { db: context.db, output: context.output })
    })
  keys
    .command('list')
    .description('list API keys (ids, scopes, last use; never secrets)')
    .action(async () => {
      await listKeys({ db: context.db, output: context.output })
    })
  keys
    .command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'the key id (the part after cw_)')
    .action(async (id: string) => {
      await revokeKey(id, { db: context.db, output: context.output })
    })

  return program
}

function oneOf<const T extends readonly string[]>(flag: string, values: T) {
  return (value: string): T[number] => {
    if (!values.includes(value)) throw new InvalidArgumentError(`${flag} must be one of ${values.join(', ')}, got "${value}"`)
    return value
  }
}

function grossMargin(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !(n > 0 && n <= 1)) throw new InvalidArgumentError(`--gross-margin must be a number in (0, 1], got "${value}"`)
  return n
}

function modelKind(value: string): 'logistic' | 'gbdt' | 'auto' {
  if (value !== 'logistic' && value !== 'gbdt' && value !== 'auto') throw new InvalidArgumentError(`--model must be auto, logistic or gbdt, got "${value}"`)
  return value
}
