import { alertChangeEvent, riskScoreEvent } from '@churnwatch/contract'
import type { Counter, Logger } from '@churnwatch/observability'
import { readHistoriesForScoring, scoreHistories, type ActiveScorer, type ScoredCustomer } from '@churnwatch/scoring'
import {
  deleteScores,
  enqueueKafkaMessages,
  lockCustomers,
  lockLiveAlerts,
  readCurrentScores,
  recordAlertChanges,
  saveScores,
  syncLiveAlertAccounts,
  wakeSnoozedAlerts,
  withTransaction,
  writeAlerts,
  type AlertRow,
  type Pool,
} from '@churnwatch/storage'
import { accountAsOf, contractStateAt, sortBilling, subscriptionStateAt } from '@churnwatch/features'
import { decideAlerts, DEFAULT_ALERT_RULES, type AlertChange, type CustomerSignal, type LiveAlert } from '../rules/alert-rules.js'
import { isMaterialChange } from '../rules/bands.js'

export interface ScoreCustomersDeps {
  pool: Pool
  topics: { riskScores: string; alerts: string }
  log: Logger
  materialDelta: number
  counters: { scored: Counter<'band'>; published: Counter; alerts: Counter<'kind' | 'change'> }
  now?: () => Date
}

export interface ScoreOutcome {
  scored: number
  published: number
  alertChanges: AlertChange[]
  inactive: number
}

/**
 * Scores customers as of `asOf`, stores current scores (history for material changes), decides
 * alerts, and writes alerts with their webhook rows, and the score and alert events with their
 * Kafka outbox rows, in the same transaction: an event leaves only once what it announces is
 * committed (the caller relays the outbox after the commit), so a consumer never sees a score or
 * an alert that a failed commit took back.
 */
export function createScoreCustomers(deps: ScoreCustomersDeps) {
  const now = deps.now ?? (() => new Date())
  return async (scorer: ActiveScorer, customerIds: readonly string[], asOf: string): Promise<ScoreOutcome> => {
    const ids = [...new Set(customerIds)]
    const histories = await readHistoriesForScoring(deps.pool, ids, asOf)
    const { scored, inactive } = scoreHistories(scorer, histories, asOf)
    const asOfMs = Date.parse(asOf)
    const endedStates = new Map(
      histories
        .filter((h) => inactive.includes(h.customerId))
        .map((h) => [h.customerId, subscriptionStateAt(sortBilling(h.billing), asOfMs)]),
    )
    // Segment, owner and the next renewal as of asOf (ADR 0015): what the ranked list and alerts filter on.
    const accounts = new Map(
      histories.map((h) => {
        const account = accountAsOf(h, asOfMs)
        const renewalAt = contractStateAt(sortBilling(h.billing.filter((e) => e.occurredAt <= asOfMs)), asOfMs).currentPeriodEnd
        return [h.customerId, { segment: account.segment, ownerId: account.ownerId, renewalAt: renewalAt === null ? null : new Date(renewalAt).toISOString() }]
      }),
    )
    return withTransaction(deps.pool, async (tx) => {
      await lockCustomers(tx, ids)
      const current = await readCurrentScores(tx, ids)
      const live = groupByCustomer(await lockLiveAlerts(tx, ids))
      const scoredAt = now().toISOString()
      const rows = scored.map((s) => {
        const row = { ...toScoreRow(s, scorer.version, scoredAt), ...accounts.get(s.customerId) }
        return { ...row, material: isMaterialChange(current.get(s.customerId), row, deps.materialDelta) }
      })
      await saveScores(tx, rows)
      await deleteScores(tx, inactive)

      const options = { ...DEFAULT_ALERT_RULES, thresholds: scorer.bands }
      const decided: AlertChange[] = []
      for (const s of scored) decided.push(...decideAlerts(signalOf(s), live.get(s.customerId) ?? [], options))
      for (const customerId of inactive) {
        const liveAlerts = live.get(customerId)
        const state = endedStates.get(customerId)
        if (!liveAlerts || !state) continue
        decided.push(...decideAlerts(inactiveSignal(customerId, asOf, state.status), liveAlerts, options))
      }
      // Alerts carry the customer's owner and segment as of this score (an ended customer's keep their own).
      const scoredIds = new Set(scored.map((s) => s.customerId))
      const changes = decided.map((c): AlertChange => {
        const account = scoredIds.has(c.alert.customerId) ? accounts.get(c.alert.customerId) : undefined
        return account ? { ...c, alert: { ...c.alert, ownerId: account.ownerId, segment: account.segment } } : c
      })
      await writeAlerts(tx, changes.map((c) => toAlertRow(c)))
      await syncLiveAlertAccounts(tx, scored.map((s) => s.customerId))
      const woken = await wakeSnoozedAlerts(tx, scored.map((s) => s.customerId), new Date(scoredAt), DEFAULT_ALERT_RULES.riskUpdateDelta)
      const scoreEvents = rows.filter((r) => r.material).map((r) => riskScoreEvent(r))
      await enqueueKafkaMessages(tx, deps.topics.riskScores, scoreEvents.map((e) => ({ key: e.customerId, value: e })))
      await recordAlertChanges(tx, deps.topics.alerts, [
        ...changes.map((c) => alertChangeEvent(c.alert, c.change)),
        // A snoozed alert whose risk rose further is back: announced as an update (once, if the rules updated it too).
        ...woken.filter((a) => !changes.some((c) => c.alert.alertId === a.alertId)).map((a) => alertChangeEvent(a, 'updated')),
      ])
      for (const s of scored) deps.counters.scored.inc({ band: s.band })
      deps.counters.published.inc(scoreEvents.length)
      for (const c of changes) deps.counters.alerts.inc({ kind: c.alert.kind, change: c.change })
      return { scored: scored.length, published: scoreEvents.length, alertChanges: changes, inactive: inactive.length }
    })
  }
}

function groupByCustomer(alerts: AlertRow[]): Map<string, LiveAlert[]> {
  const map = new Map<string, LiveAlert[]>()
  for (const a of alerts) {
    if (a.status === 'resolved') continue
    const list = map.get(a.customerId) ?? []
    list.push({ ...a, status: a.status })
    map.set(a.customerId, list)
  }
  return map
}

function toScoreRow(s: ScoredCustomer, modelVersion: string, scoredAt: string) {
  return {
    customerId: s.customerId,
    probability: s.probability,
    band: s.band,
    drivers: s.drivers,
    features: s.vector.values,
    plan: s.plan,
    mrr: s.mrr,
    revenueAtRisk: s.revenueAtRisk,
    modelVersion,
    asOf: s.asOf,
    scoredAt,
  }
}

function signalOf(s: ScoredCustomer): CustomerSignal {
  const v = s.vector.values
  return {
    customerId: s.customerId,
    asOf: s.asOf,
    probability: s.probability,
    revenueAtRisk: s.revenueAtRisk,
    drivers: s.drivers,
    tenureDays: v.tenure_days ?? 0,
    subscription: {
      status: s.vector.subscription.status,
      lastFailedAt: s.vector.subscription.lastFailedAt,
      lastPaidAt: s.vector.subscription.lastPaidAt,
    },
    events14d: v.events_14d ?? 0,
    baselineEvents14d: v.baseline_events_14d ?? 0,
  }
}

function inactiveSignal(customerId: string, asOf: string, status: CustomerSignal['subscription']['status']): CustomerSignal {
  return {
    customerId,
    asOf,
    probability: 0,
    revenueAtRisk: 0,
    drivers: [],
    tenureDays: 0,
    subscription: { status, lastFailedAt: null, lastPaidAt: null },
    events14d: 0,
    baselineEvents14d: 0,
  }
}

function toAlertRow({ alert }: AlertChange): AlertRow {
  return {
    ...alert,
    acknowledgedAt: alert.acknowledgedAt,
    resolvedAt: alert.status === 'resolved' ? alert.resolvedAt : null,
    resolution: alert.status === 'resolved' ? alert.resolution : null,
  }
}
