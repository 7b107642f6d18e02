import { alertChangeEvent, riskScoreEvent, type BillingInterval } from '@churnwatch/contract'
import type { Counter, Logger } from '@churnwatch/observability'
import { diffDrivers, readHistoriesForScoring, scoreHistories, type ActiveScorer, type ScoredCustomer } from '@churnwatch/scoring'
import {
  deleteScores,
  enqueueKafkaMessages,
  lockCustomers,
  lockLiveAlerts,
  readCurrentScores,
  recordAlertChanges,
  recordRiskChanges,
  saveScores,
  syncLiveAlertAccounts,
  wakeSnoozedAlerts,
  withTransaction,
  writeAlerts,
  type AlertRow,
  type Pool,
  type ScoreWithPublished,
} from '@churnwatch/storage'
import { accountAsOf, contractStateAt, sortBilling, subscriptionStateAt, type BillingRecord, type CustomerHistory } from '@churnwatch/features'
import { decideAlerts, DEFAULT_ALERT_RULES, type AlertChange, type AlertRuleOptions, type CustomerSignal, type LiveAlert } from '../rules/alert-rules.js'
import { isMaterialChange } from '../rules/bands.js'
import type { PlayBook } from '../rules/plays.js'

export interface ScoreCustomersDeps {
  pool: Pool
  topics: { riskScores: string; alerts: string }
  log: Logger
  materialDelta: number
  counters: { scored: Counter<'band'>; published: Counter; alerts: Counter<'kind' | 'change'> }
  plays: PlayBook
  /** Overrides of the alert rules' defaults (renewal window, ...). */
  rules?: Partial<Omit<AlertRuleOptions, 'thresholds' | 'plays'>>
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
    const terms = new Map(histories.map((h) => [h.customerId, termsOf(h, asOfMs)]))
    // Segment, owner and the next renewal as of asOf (ADR 0015): what the ranked list and alerts filter on.
    const accounts = new Map(
      histories.map((h) => {
        const account = accountAsOf(h, asOfMs)
        const renewalAt = terms.get(h.customerId)?.renewalAt ?? null
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
        const previous = current.get(s.customerId)
        const material = isMaterialChange(previous, row, deps.materialDelta)
        return { ...row, material, ...(material ? { changes: diffDrivers(previousMaterial(previous), row.drivers) } : {}) }
      })
      await saveScores(tx, rows)
      await deleteScores(tx, inactive)

      const options: AlertRuleOptions = { ...DEFAULT_ALERT_RULES, ...deps.rules, thresholds: scorer.bands, plays: deps.plays }
      const decided: AlertChange[] = []
      for (const s of scored) decided.push(...decideAlerts(signalOf(s, terms.get(s.customerId)), live.get(s.customerId) ?? [], options))
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
      const woken = await wakeSnoozedAlerts(tx, scored.map((s) => s.customerId), new Date(scoredAt), options.riskUpdateDelta)
      const scoreEvents = rows.filter((r) => r.material).map((r) => riskScoreEvent(r))
      await enqueueKafkaMessages(tx, deps.topics.riskScores, scoreEvents.map((e) => ({ key: e.customerId, value: e })))
      // A first score changed nothing: risk_changed announces changes from a previous material score.
      await recordRiskChanges(tx, scoreEvents.filter((e) => e.changes?.previous))
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

/** The last material score of a stored one, as the driver diff reads it. */
function previousMaterial(stored: ScoreWithPublished | undefined) {
  if (!stored) return undefined
  return {
    probability: stored.publishedProbability,
    band: stored.publishedBand,
    // A new model version is always material, so the stored version is the published one.
    modelVersion: stored.modelVersion,
    asOf: stored.publishedAsOf,
    drivers: stored.publishedDrivers ?? stored.drivers,
  }
}

const DAYS_PER_MONTH = 365.25 / 12
const MONTHS_PER_INTERVAL: Record<BillingInterval, number> = { day: 1 / DAYS_PER_MONTH, week: 7 / DAYS_PER_MONTH, month: 1, year: 12 }

interface Terms {
  renewal: { at: number; periodMonths: number } | null
  /** The end of the period paid for, even when the interval is unknown (what the worklist filters on). */
  renewalAt: number | null
  cancelReason: string | null
}

/**
 * A customer's next renewal as of asOf (contractStateAt: the end of the period paid for) with its
 * billing period in months, and the reason of its pending cancellation (the latest
 * subscription_canceled at or after the current cancellation began).
 */
function termsOf(history: CustomerHistory, asOf: number): Terms {
  const billing = sortBilling(history.billing)
  const state = subscriptionStateAt(billing, asOf)
  const contract = contractStateAt(billing, asOf, state)
  const renewal =
    contract.currentPeriodEnd !== null && contract.interval !== null
      ? { at: contract.currentPeriodEnd, periodMonths: MONTHS_PER_INTERVAL[contract.interval] * (contract.intervalCount ?? 1) }
      : null
  let cancel: BillingRecord | undefined
  if (state.status === 'canceling' && state.canceledAt !== null) {
    for (const e of billing) {
      if (e.occurredAt > asOf) break
      if (e.type === 'subscription_canceled' && e.occurredAt >= state.canceledAt) cancel = e
    }
  }
  return { renewal, renewalAt: contract.currentPeriodEnd, cancelReason: cancel?.reason ?? null }
}

function signalOf(s: ScoredCustomer, terms: Terms | undefined): CustomerSignal {
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
    mrr: s.mrr,
    renewal: terms?.renewal ?? null,
    cancelReason: terms?.cancelReason ?? null,
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
