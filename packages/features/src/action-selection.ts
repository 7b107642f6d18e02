/**
 * Which actions get their own features when a model is trained (ADR 0013). Every action the
 * training rows used is a candidate; an action is kept when enough customers use it (common) or
 * when its use tells churners from the others (signal), up to a cap. Only training rows are
 * tallied: the caller never passes a holdout row.
 */
export interface ActionSelectionRule {
  /** At most this many actions get features. */
  cap: number
  /** Common: used by at least this share of the tallied customers... */
  commonShare: number
  /** ...and by at least this many. */
  commonMinCustomers: number
  /** Signal: |z| of the two-proportion test (churn rate of users vs non-users) at least this... */
  signalZ: number
  /** ...with at least this many users. */
  signalMinCustomers: number
}

export const DEFAULT_ACTION_CAP = 40

export const DEFAULT_ACTION_SELECTION: ActionSelectionRule = {
  cap: DEFAULT_ACTION_CAP,
  commonShare: 0.01,
  commonMinCustomers: 20,
  signalZ: 3,
  signalMinCustomers: 5,
}

/** Customers tallied (one training row each) and, per action, how many of them used it. */
export interface ActionTally {
  customers: number
  churned: number
  actions: Map<string, { customers: number; churned: number; events: number }>
}

export function createActionTally(): ActionTally {
  return { customers: 0, churned: 0, actions: new Map() }
}

/**
 * Adds one customer's training row: its label and its lifetime events per action as of that row
 * (actions with 0 events are not used).
 */
export function tallyActions(tally: ActionTally, label: 0 | 1, lifetimeEvents: Iterable<readonly [string, number]>): void {
  tally.customers++
  tally.churned += label
  for (const [action, events] of lifetimeEvents) {
    if (!(events > 0)) continue
    const entry = tally.actions.get(action) ?? { customers: 0, churned: 0, events: 0 }
    entry.customers++
    entry.churned += label
    entry.events += events
    tally.actions.set(action, entry)
  }
}

export interface SelectedAction {
  action: string
  /** Tallied customers that used it. */
  customers: number
  churnRateUsers: number
  churnRateOthers: number
  /** Two-proportion z statistic, users against non-users (0 when either group is empty or nobody churned). */
  z: number
  reason: 'common' | 'signal'
}

export interface ActionSelection {
  /** The kept actions, most used first. */
  selected: SelectedAction[]
  /** Candidates (every action used) and how many were left out, by why. */
  candidates: number
  droppedRare: number
  droppedByCap: number
  tallied: { customers: number; churned: number }
  rule: ActionSelectionRule
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000

/** Two-proportion z statistic with the pooled rate; 0 when it is undefined. */
export function twoProportionZ(churnedA: number, nA: number, churnedB: number, nB: number): number {
  if (nA === 0 || nB === 0) return 0
  const pooled = (churnedA + churnedB) / (nA + nB)
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB))
  return se === 0 ? 0 : (churnedA / nA - churnedB / nB) / se
}

/**
 * The actions to track, most used first (ties: more events, then name). When more than `cap`
 * qualify, the least used common actions without signal go first, so a rare action that carries
 * signal is never crowded out by a common one that does not.
 */
export function selectActions(tally: ActionTally, rule: ActionSelectionRule = DEFAULT_ACTION_SELECTION): ActionSelection {
  const commonFloor = Math.max(rule.commonMinCustomers, rule.commonShare * tally.customers)
  const ranked = [...tally.actions.entries()].sort(
    ([a, x], [b, y]) => y.customers - x.customers || y.events - x.events || (a < b ? -1 : a > b ? 1 : 0),
  )
  const kept: Array<SelectedAction & { hasSignal: boolean }> = []
  let droppedRare = 0
  for (const [action, used] of ranked) {
    const others = tally.customers - used.customers
    const z = twoProportionZ(used.churned, used.customers, tally.churned - used.churned, others)
    const hasSignal = used.customers >= rule.signalMinCustomers && Math.abs(z) >= rule.signalZ
    const common = used.customers >= commonFloor
    if (!common && !hasSignal) {
      droppedRare++
      continue
    }
    kept.push({
      action,
      customers: used.customers,
      churnRateUsers: round(used.churned / used.customers),
      churnRateOthers: others === 0 ? 0 : round((tally.churned - used.churned) / others),
      z: round(z),
      reason: common ? 'common' : 'signal',
      hasSignal,
    })
  }
  let droppedByCap = 0
  while (kept.length > Math.max(0, rule.cap)) {
    let drop = kept.length - 1
    for (let i = kept.length - 1; i >= 0; i--) {
      if (!(kept[i] as { hasSignal: boolean }).hasSignal) {
        drop = i
        break
      }
    }
    kept.splice(drop, 1)
    droppedByCap++
  }
  return {
    selected: kept.map(({ hasSignal: _signal, ...rest }) => rest),
    candidates: ranked.length,
    droppedRare,
    droppedByCap,
    tallied: { customers: tally.customers, churned: tally.churned },
    rule,
  }
}
