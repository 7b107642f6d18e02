import { parseFeaturesChanged, TOPICS, TOPIC_SPECS, type FeaturesChangedEvent } from '@churnwatch/contract'
import { createBatchRunner, ensureTopics, type KafkaClient, type Publisher } from '@churnwatch/kafka'
import { Counter, type Logger, type Registry } from '@churnwatch/observability'
import { isUnscorableModel, loadActiveScorer, UnsupportedFeaturesError, type ActiveScorer } from '@churnwatch/scoring'
import { ADVISORY_LOCKS, getActiveModel, listCustomerIds, storedEventRange, withSessionLock, type OutboxRelay, type Pool } from '@churnwatch/storage'
import { createChurnRateCheck, type ChurnRateCheckOptions } from './handlers/churn-rate.js'
import { createScoreCustomers, type ScoreOutcome } from './handlers/score-customers.js'
import { loadPlayBook } from './playbook.js'
import type { AlertChange } from './rules/alert-rules.js'
import type { PlayBook } from './rules/plays.js'

export interface ScorerDeps {
  pool: Pool
  kafka: KafkaClient
  /** Connected by the caller, who disconnects it after stop(); dead letters go through it. */
  publisher: Publisher
  /**
   * The process's one Kafka outbox relay (the caller's, publishing through its publisher): score
   * and alert events committed by scoring leave through it. The caller waits for idle() after
   * disconnecting the publisher.
   */
  outbox: OutboxRelay
  log: Logger
  registry: Registry
  groupId: string
  topicPrefix?: string
  clock: 'wall' | 'data'
  sweepIntervalMs: number
  modelPollIntervalMs: number
  materialDelta: number
  bandOverrides?: { high?: number; medium?: number; rearm?: number }
  sessionTimeoutMs?: number
  /** The play book (validated at start-up); the shipped plays.default.json when omitted. */
  plays?: PlayBook
  /** renewal_at_risk: the renewal window in days (default 90) and the shortest billing period in months (default 6). */
  renewalAlertDays?: number
  renewalMinPeriodMonths?: number
  /**
   * The churn rate's own alarm: tested after a sweep when at least `intervalMs` passed since the
   * last test (0: after every sweep); absent = never. Defaults: level 0.01, min churned 3, min
   * segment customers 100, baseline 6 periods.
   */
  churnRateCheck?: Partial<ChurnRateCheckOptions> & { intervalMs: number }
  now?: () => Date
  onFatal?: (error: unknown) => void
}

export interface Scorer {
  start: () => Promise<void>
  stop: () => Promise<void>
  isReady: () => boolean
  /** Rescores every customer as of the scorer's clock (or `asOf`); returns totals. */
  sweep: (asOf?: string) => Promise<{ scored: number; alertChanges: number }>
  /** The asOf the scorer uses now: the wall clock, or the latest event time seen. */
  asOf: () => string
  /** Loads the active model now if it changed (otherwise it is polled); true when it changed. */
  reloadModel: () => Promise<boolean>
  /** Tests the churn rate now as of `asOf` (default: the scorer's clock) and returns the alert changes. */
  checkChurnRate: (asOf?: string) => Promise<AlertChange[]>
  topics: { featuresChanged: string; riskScores: string; alerts: string; deadLetter: string }
}

const SWEEP_CHUNK = 500
// How often the Kafka outbox is checked for messages a crash or a failed relay left behind.
const OUTBOX_RELAY_INTERVAL_MS = 5_000

/**
 * Wires the scorer: features-changed announcements are rescored per partition batch, a
 * scheduled sweep rescores everyone (silence produces no events), and activating a new model
 * version triggers a full rescore.
 */
export function createScorer(deps: ScorerDeps): Scorer {
  const prefix = deps.topicPrefix ?? ''
  const topics = {
    featuresChanged: prefix + TOPICS.featuresChanged,
    riskScores: prefix + TOPICS.riskScores,
    alerts: prefix + TOPICS.alerts,
    deadLetter: prefix + TOPICS.deadLetter,
  }
  const log = deps.log.child({ component: 'scorer' })
  const now = deps.now ?? (() => new Date())
  const { publisher, outbox } = deps
  const counters = {
    scored: new Counter({ name: 'churnwatch_scores_total', help: 'Customers scored, by band', labelNames: ['band'] as const, registers: [deps.registry] }),
    published: new Counter({ name: 'churnwatch_score_changes_published_total', help: 'Material score changes committed for publishing (relayed by the Kafka outbox)', registers: [deps.registry] }),
    alerts: new Counter({
      name: 'churnwatch_alert_changes_total',
      help: 'Alert changes, by kind and change (opened, updated, resolved)',
      labelNames: ['kind', 'change'] as const,
      registers: [deps.registry],
    }),
  }
  const plays = deps.plays ?? loadPlayBook()
  const scoreCustomers = createScoreCustomers({
    pool: deps.pool,
    topics,
    log,
    materialDelta: deps.materialDelta,
    counters,
    now,
    plays,
    rules: {
      ...(deps.renewalAlertDays !== undefined ? { renewalAlertDays: deps.renewalAlertDays } : {}),
      ...(deps.renewalMinPeriodMonths !== undefined ? { renewalMinPeriodMonths: deps.renewalMinPeriodMonths } : {}),
    },
  })
  const checkChurnRateAt = createChurnRateCheck({
    pool: deps.pool,
    topics,
    log,
    plays,
    counters,
    options: { level: 0.01, minChurned: 3, minSegmentCustomers: 100, baselinePeriods: 6, ...deps.churnRateCheck },
  })
  let churnCheckedAt: number | undefined
  let scorer: ActiveScorer | undefined
  let dataClock = 0
  let sweepTimer: NodeJS.Timeout | undefined
  let modelTimer: NodeJS.Timeout | undefined
  let outboxTimer: NodeJS.Timeout | undefined
  let sweeping: Promise<unknown> | undefined
  let stopped = false

  const asOf = () => (deps.clock === 'wall' ? now().toISOString() : new Date(dataClock).toISOString())

  // The active version this code cannot score (unreadable, or needing features it lacks): reported once, not retried every poll.
  let refusedVersion: string | undefined

  async function refreshModel(): Promise<boolean> {
    const record = await getActiveModel(deps.pool)
    if (record?.version === scorer?.version || (record !== undefined && record.version === refusedVersion)) return false
    let loaded: ActiveScorer | undefined
    try {
      loaded = await loadActiveScorer(deps.pool, deps.bandOverrides)
    } catch (err) {
      if (!isUnscorableModel(err)) throw err
      refusedVersion = record?.version
      // Never score with made-up values: the previous model (or none) stays until a scorable one is activated.
      log.error(
        { err, modelVersion: record?.version ?? null, keptModelVersion: scorer?.version ?? null, missingFeatures: err instanceof UnsupportedFeaturesError ? err.missing : undefined },
        'active model cannot be scored by this version; keeping the model loaded before',
      )
      return false
    }
    refusedVersion = undefined
    scorer = loaded
    log.info({ modelVersion: scorer?.version ?? null, bands: scorer?.bands }, scorer ? 'model loaded' : 'no active model: scores wait for one')
    return scorer !== undefined
  }

  async function runBatch(ids: string[], at: string): Promise<ScoreOutcome | undefined> {
    if (!scorer || ids.length === 0) return undefined
    const outcome = await scoreCustomers(scorer, ids, at)
    if (outcome.published > 0 || outcome.alertChanges.length > 0) await outbox.flush()
    return outcome
  }

  async function sweep(at?: string): Promise<{ scored: number; alertChanges: number }> {
    const started = Date.now()
    const when = at ?? asOf()
    let afterId: string | undefined
    let scored = 0
    let alertChanges = 0
    // One sweeper at a time across instances: a session-level advisory lock on a dedicated client.
    const run = await withSessionLock(deps.pool, ADVISORY_LOCKS.sweep, async () => {
      for (;;) {
        if (stopped) break
        const ids = await listCustomerIds(deps.pool, { ...(afterId !== undefined ? { afterId } : {}), limit: SWEEP_CHUNK })
        if (ids.length === 0) break
        afterId = ids[ids.length - 1]
        const outcome = await runBatch(ids, when)
        scored += outcome?.scored ?? 0
        alertChanges += outcome?.alertChanges.length ?? 0
      }
      // Under the sweep lock, so one instance tests the churn rate.
      const check = deps.churnRateCheck
      if (check && !stopped && (churnCheckedAt === undefined || Date.now() - churnCheckedAt >= check.intervalMs)) {
        churnCheckedAt = Date.now()
        alertChanges += (await checkChurnRate(when)).length
      }
    })
    if (!run.locked) return { scored: 0, alertChanges: 0 }
    log.info({ asOf: when, scored, alertChanges, ms: Date.now() - started }, 'sweep done')
    return { scored, alertChanges }
  }

  async function checkChurnRate(at?: string): Promise<AlertChange[]> {
    const changes = await checkChurnRateAt(at ?? asOf())
    if (changes.length > 0) await outbox.flush()
    return changes
  }

  function sweepSoon(): void {
    if (sweeping || stopped) return
    sweeping = sweep()
      .catch((err: unknown) => log.error({ err }, 'sweep failed'))
      .finally(() => {
        sweeping = undefined
      })
  }

  const runner = createBatchRunner<FeaturesChangedEvent>({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topics: [topics.featuresChanged],
    deadLetterTopic: topics.deadLetter,
    publisher,
    // The runner tags its lines with its own component; a logger that already has one would repeat the key.
    log: deps.log,
    registry: deps.registry,
    sessionTimeoutMs: deps.sessionTimeoutMs ?? 30_000,
    // Partitions hold different customers: scoring three at once keeps alert latency low under load.
    partitionsConsumedConcurrently: 3,
    parse: (_topic, value) => parseFeaturesChanged(value),
    handleBatch: async (batch) => {
      for (const { event } of batch.events) dataClock = Math.max(dataClock, Date.parse(event.maxOccurredAt))
      await runBatch(batch.events.map((e) => e.event.customerId), asOf())
    },
    ...(deps.onFatal ? { onFatal: deps.onFatal } : {}),
  })

  return {
    topics,
    asOf,
    sweep,
    reloadModel: refreshModel,
    checkChurnRate,
    isReady: () => runner.isHealthy(),
    async start() {
      await ensureTopics(deps.kafka, [
        { topic: topics.featuresChanged, numPartitions: TOPIC_SPECS.featuresChanged.numPartitions },
        { topic: topics.riskScores, numPartitions: TOPIC_SPECS.riskScores.numPartitions },
        { topic: topics.alerts, numPartitions: TOPIC_SPECS.alerts.numPartitions },
        { topic: topics.deadLetter, numPartitions: TOPIC_SPECS.deadLetter.numPartitions, configs: TOPIC_SPECS.deadLetter.configs },
      ])
      if (deps.clock === 'data') dataClock = (await storedEventRange(deps.pool))?.last.getTime() ?? 0
      await refreshModel()
      await runner.start()
      sweepTimer = setInterval(sweepSoon, deps.sweepIntervalMs)
      // Leftovers of a crash between commit and relay, of a relay that failed, or of the API's relay in another process.
      await outbox.flush()
      outboxTimer = setInterval(() => void outbox.flush(), OUTBOX_RELAY_INTERVAL_MS)
      modelTimer = setInterval(() => {
        refreshModel().then(
          (changed) => {
            // A new model version rescores everyone.
            if (changed) sweepSoon()
          },
          (err: unknown) => log.warn({ err }, 'model refresh failed'),
        )
      }, deps.modelPollIntervalMs)
      log.info({ topics, clock: deps.clock }, 'scorer started')
    },
    async stop() {
      stopped = true
      clearInterval(sweepTimer)
      clearInterval(modelTimer)
      clearInterval(outboxTimer)
      await runner.stop()
      await sweeping
      log.info('scorer stopped')
    },
  }
}
