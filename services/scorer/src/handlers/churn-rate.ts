import { alertChangeEvent, type AlertDetails, type ChurnSpikePeriod, type Driver } from '@churnwatch/contract'
import { scanChurnSpikes, type ChurnSpikeResult } from '@churnwatch/metrics'
import type { Counter, Logger } from '@churnwatch/observability'
import {
  lockCustomers,
  lockLiveAlertsOfKind,
  readLifecycleHistories,
  readSegmentsAsOf,
  recordAlertChanges,
  withTransaction,
  writeAlerts,
  type AlertRow,
  type Pool,
} from '@churnwatch/storage'
import { alertIdFor, type AlertChange, type LiveAlert } from '../rules/alert-rules.js'
import { suggestPlay, type PlayBook } from '../rules/plays.js'

export interface ChurnRateCheckOptions {
  /** One-sided binomial test level: a spike needs p < level. */
  level: number
  /** Fewest churned customers in the period for a spike. */
  minChurned: number
  /** A segment is tested only with at least this many customers at the period start. */
  minSegmentCustomers: number
  /** Trailing complete periods in the baseline. */
  baselinePeriods: number
}

export interface ChurnRateCheckDeps {
  pool: Pool
  topics: { alerts: string }
  log: Logger
  plays: PlayBook
  options: ChurnRateCheckOptions
  counters: { alerts: Counter<'kind' | 'change'> }
}

const KIND = 'churn_rate_spike'
const INTERVALS: readonly ChurnSpikePeriod[] = ['month', 'week']

/**
 * The alert key of a churn-rate scope: operator alerts have no customer, and v1 consumers (and the
 * API) read customerId as a string, so it names the scope. One live alert per key (period and
 * segment) follows from the one-live-alert-per-customer-and-kind index.
 */
export function churnScopeKey(period: ChurnSpikePeriod, segment: string | null): string {
  return `churnwatch:churn-rate:${period}:${segment === null ? 'all' : `segment=${segment}`}`
}

/**
 * Tests month-to-date and week-to-date churn of the whole base and of each large enough segment
 * against its trailing baseline as of `asOf`, and opens, updates (a new period still spiking) or
 * resolves churn_rate_spike alerts, with their webhook and Kafka outbox rows, in one transaction.
 */
export function createChurnRateCheck(deps: ChurnRateCheckDeps) {
  return async (asOf: string): Promise<AlertChange[]> => {
    const asOfMs = Date.parse(asOf)
    const [histories, segments] = await Promise.all([
      readLifecycleHistories(deps.pool, { until: new Date(asOfMs + 1) }),
      readSegmentsAsOf(deps.pool, new Date(asOfMs)),
    ])
    const results = scanChurnSpikes(histories, {
      asOf: asOfMs,
      intervals: INTERVALS,
      baselinePeriods: deps.options.baselinePeriods,
      level: deps.options.level,
      minChurned: deps.options.minChurned,
      minSegmentCustomers: deps.options.minSegmentCustomers,
      segmentOf: (id) => segments.get(id) ?? null,
    })
    return withTransaction(deps.pool, async (tx) => {
      const tested = new Map(results.map((r) => [churnScopeKey(r.interval, r.segment), r]))
      await lockCustomers(tx, [...tested.keys()])
      const live = new Map((await lockLiveAlertsOfKind(tx, KIND)).map((a) => [a.customerId, a]))
      const changes = decideSpikeAlerts(tested, live, asOf, deps.plays, deps.options.level)
      await writeAlerts(tx, changes.map(toRow))
      await recordAlertChanges(tx, deps.topics.alerts, changes.map((c) => alertChangeEvent(c.alert, c.change)))
      for (const c of changes) deps.counters.alerts.inc({ kind: KIND, change: c.change })
      if (changes.length > 0) deps.log.info({ asOf, changes: changes.map((c) => `${c.alert.customerId}:${c.change}`) }, 'churn-rate alerts changed')
      return changes
    })
  }
}

/**
 * Opens an alert for a spiking scope without one, updates a live one when a new period spikes
 * again, and resolves a live one whose scope no longer spikes or is no longer tested.
 */
export function decideSpikeAlerts(
  tested: ReadonlyMap<string, ChurnSpikeResult>,
  live: ReadonlyMap<string, AlertRow>,
  asOf: string,
  plays: PlayBook,
  level: number,
): AlertChange[] {
  const changes: AlertChange[] = []
  for (const [key, result] of tested) {
    const current = live.get(key)
    if (!result.spike || current) continue
    changes.push({
      change: 'opened',
      alert: {
        alertId: alertIdFor(key, KIND, asOf),
        customerId: key,
        kind: KIND,
        status: 'open',
        ...measures(result, plays, level),
        createdAt: asOf,
        updatedAt: asOf,
        acknowledgedAt: null,
      },
    })
  }
  for (const [key, current] of live) {
    const result = tested.get(key)
    const alert = toLive(current)
    if (result?.spike) {
      if (current.details?.scope?.periodStart !== new Date(result.periodStart).toISOString()) {
        changes.push({ change: 'updated', alert: { ...alert, ...measures(result, plays, level), updatedAt: asOf } })
      }
      continue
    }
    const resolution = result ? 'the churn rate is back within its baseline' : 'the scope is no longer tested (too few customers)'
    changes.push({ change: 'resolved', alert: { ...alert, status: 'resolved', resolution, resolvedAt: asOf, updatedAt: asOf } })
  }
  return changes
}

function measures(r: ChurnSpikeResult, plays: PlayBook, level: number) {
  const scope = {
    period: r.interval,
    segment: r.segment,
    periodStart: new Date(r.periodStart).toISOString(),
    customersAtStart: r.customersAtStart,
    churned: r.churned,
    rate: r.rate,
    baselineRate: r.baselineRate,
    expectedChurned: r.expectedChurned,
    pValue: r.pValue,
    level,
  }
  const who = r.segment === null ? 'customers' : `${r.segment} customers`
  const driver: Driver = {
    feature: r.interval === 'month' ? 'churn_rate_month_to_date' : 'churn_rate_week_to_date',
    value: r.rate,
    contribution: 0,
    sentence: `${r.churned} of ${r.customersAtStart} ${who} churned ${r.interval}-to-date, ${r.expectedChurned.toFixed(1)} expected from the baseline (p = ${r.pValue.toPrecision(2)})`,
  }
  const details: AlertDetails = { scope }
  return {
    // For an operator alert, the observed period-to-date churn rate and the MRR that churned.
    probability: Math.min(1, r.rate),
    revenueAtRisk: r.churnedMrr,
    drivers: [driver],
    play: suggestPlay(plays, KIND, { drivers: [], tenureDays: 0 }).play,
    details,
  }
}

function toLive(a: AlertRow): LiveAlert {
  if (a.status === 'resolved') throw new Error(`alert ${a.alertId} is resolved, not live`)
  return { ...a, status: a.status }
}

function toRow({ alert }: { alert: AlertChange['alert'] }): AlertRow {
  return {
    ...alert,
    resolvedAt: alert.status === 'resolved' ? alert.resolvedAt : null,
    resolution: alert.status === 'resolved' ? alert.resolution : null,
  }
}
