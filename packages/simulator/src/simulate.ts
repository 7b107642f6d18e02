import { addMonths, dayInfo, formatInstant, formatSecond, parseStartDay } from './calendar.js'
import {
  createCustomer,
  generateUsage,
  generateRareActions,
  isActive,
  preexistingStartEvent,
  preexistingTermInvoice,
  signUpAccountEvent,
  stepLifecycle,
  type CustomerState,
  type EventSink,
} from './customer.js'
import { createRng, mixSeed } from './rng.js'
import { trueChurnProbability90d } from './risk.js'
import type { CustomerTruth, ResolvedSimulateOptions, SimEvent, SimulateOptions, Simulation } from './types.js'

const DEFAULTS = {
  start: '2025-01-01T00:00:00Z',
  eventsPerActiveUserPerDay: 1,
  initialCustomerShare: 0.4,
  churnScale: 1,
  accounts: false,
  rareActions: false,
} as const

const CONTRACT_DEFAULTS = { annualShare: 0.4, noticeDays: 30 } as const

/** Customers existing at the start signed up up to this many days before it. */
const MAX_PREEXISTING_TENURE_DAYS = 3 * 365
const SIGN_UP_HOURS = [8 * 3600, 18 * 3600] as const

/**
 * Creates a seeded simulation of a subscription business; `events()` streams contract events
 * ordered by occurredAt (one simulated day in memory at a time), `truth()` returns churn ground truth.
 */
export function simulateBusiness(options: SimulateOptions): Simulation {
  const resolved = resolveOptions(options)
  const startDay = parseStartDay(resolved.start)
  const endDay = addMonths(startDay, resolved.months)
  let truth: CustomerTruth[] | null = null
  return {
    options: resolved,
    start: formatInstant(startDay, 0),
    end: formatInstant(endDay, 0),
    *events() {
      const run = createRun(resolved, startDay, true)
      yield* run.prelude()
      for (let day = startDay; day < endDay; day++) yield* run.simulateDay(day)
      truth ??= run.truth()
    },
    truth() {
      if (truth === null) {
        // Usage never feeds back into the lifecycle, so a pass without usage gives the same truth.
        const run = createRun(resolved, startDay, false)
        for (let day = startDay; day < endDay; day++) run.simulateDay(day)
        truth = run.truth()
      }
      return truth
    },
  }
}

function resolveOptions(options: SimulateOptions): ResolvedSimulateOptions {
  const { contracts, ...rest } = options
  const o: ResolvedSimulateOptions = {
    ...DEFAULTS,
    ...dropUndefined(rest),
    contracts: contracts === undefined ? null : { ...CONTRACT_DEFAULTS, ...dropUndefined(contracts) },
  }
  const problems: string[] = []
  if (o.contracts !== null) {
    if (!(o.contracts.annualShare >= 0 && o.contracts.annualShare <= 1)) problems.push('contracts.annualShare must be in [0, 1]')
    // The notice must leave room for a cancel to precede the renewal, and the review window a year.
    if (!Number.isSafeInteger(o.contracts.noticeDays) || o.contracts.noticeDays < 2 || o.contracts.noticeDays > 180) {
      problems.push('contracts.noticeDays must be an integer in [2, 180]')
    }
  }
  if (!Number.isSafeInteger(o.customers) || o.customers < 0) problems.push('customers must be an integer >= 0')
  if (!Number.isSafeInteger(o.months) || o.months < 1) problems.push('months must be an integer >= 1')
  if (!Number.isSafeInteger(o.seed)) problems.push('seed must be a safe integer')
  if (!(o.eventsPerActiveUserPerDay >= 0) || !Number.isFinite(o.eventsPerActiveUserPerDay)) {
    problems.push('eventsPerActiveUserPerDay must be a finite number >= 0')
  }
  if (!(o.initialCustomerShare >= 0 && o.initialCustomerShare <= 1)) problems.push('initialCustomerShare must be in [0, 1]')
  if (!(o.churnScale >= 0) || !Number.isFinite(o.churnScale)) problems.push('churnScale must be a finite number >= 0')
  if (problems.length > 0) throw new RangeError(`invalid simulateBusiness options: ${problems.join('; ')}`)
  parseStartDay(o.start)
  return o
}

function dropUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T
}

interface Run {
  /** `subscription_started` of the customers that signed up before the start, in time order. */
  prelude(): SimEvent[]
  /** Simulates one UTC day; returns its events sorted by occurredAt (empty when not emitting). */
  simulateDay(day: number): SimEvent[]
  truth(): CustomerTruth[]
}

function createRun(o: ResolvedSimulateOptions, startDay: number, emit: boolean): Run {
  const customers = createCustomers(o, startDay)
  let arrived = 0
  let usageCount = 0
  let billingCount = 0
  let accountCount = 0
  const pending: SimEvent[] = []
  const seconds: number[] = []
  const sink: EventSink = emit
    ? {
        push(event, second) {
          pending.push(event)
          seconds.push(second)
        },
      }
    : { push() {} }

  const assignId = (event: SimEvent): void => {
    if (event.kind === 'usage') event.eventId = `u-${pad(++usageCount)}`
    else if (event.kind === 'billing') event.eventId = `b-${pad(++billingCount)}`
    else event.eventId = `a-${pad(++accountCount)}`
  }

  return {
    prelude() {
      const events: SimEvent[] = []
      for (const c of customers) {
        if (c.startDay >= startDay) break
        const account = signUpAccountEvent(c)
        for (const event of account === null ? [preexistingStartEvent(c)] : [account, preexistingStartEvent(c)]) {
          event.occurredAt = c.startedAt
          events.push(event)
        }
        const invoice = preexistingTermInvoice(c, startDay)
        if (invoice !== null) {
          invoice.event.occurredAt = formatInstant(invoice.day, invoice.second)
          events.push(invoice.event)
        }
      }
      // Term invoices interleave with later sign-ups; a stable sort keeps ties in generation order.
      if (o.contracts !== null) events.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0))
      for (const event of events) assignId(event)
      return events
    },
    simulateDay(day) {
      const info = dayInfo(day)
      while (arrived < customers.length && (customers[arrived]?.startDay ?? Infinity) <= day) arrived++
      if (info.isMonthStart) {
        const monthStart = `${info.prefix}00:00:00Z`
        for (let i = 0; i < arrived; i++) {
          const c = customers[i] as CustomerState
          if (!isActive(c)) continue
          const p = trueChurnProbability90d(c, day, o.churnScale)
          c.monthly.push({ monthStart, trueChurnProbability90d: Math.round(p * 1e6) / 1e6 })
        }
      }
      for (let i = 0; i < arrived; i++) {
        const c = customers[i] as CustomerState
        stepLifecycle(c, day, o.churnScale, sink)
        if (emit && isActive(c) && o.eventsPerActiveUserPerDay > 0) {
          generateUsage(c, day, info, o.eventsPerActiveUserPerDay, sink)
        }
        if (emit && o.rareActions && isActive(c)) generateRareActions(c, sink)
      }
      if (!emit) return []
      const order = sortedOrder(seconds)
      const events: SimEvent[] = new Array<SimEvent>(order.length)
      for (let j = 0; j < order.length; j++) {
        const i = order[j] as number
        const event = pending[i] as SimEvent
        event.occurredAt = info.prefix + formatSecond(seconds[i] as number)
        assignId(event)
        events[j] = event
      }
      pending.length = 0
      seconds.length = 0
      return events
    },
    truth() {
      return customers.map((c) => ({
        customerId: c.id,
        startedAt: c.startedAt,
        endedAt: c.endedAt,
        voluntary: c.voluntary,
        churns: c.churns,
        monthly: c.monthly,
        ...(o.contracts === null ? {} : { interval: c.termMonths === 12 ? ('year' as const) : ('month' as const) }),
        ...(c.account === null ? {} : { segment: c.account.segment }),
      }))
    },
  }
}

/** Customers ordered by sign-up time, so that ids (c-000001, ...) follow sign-up order. */
function createCustomers(o: ResolvedSimulateOptions, startDay: number): CustomerState[] {
  const r = createRng(mixSeed(o.seed, 0x5eed))
  const runDays = addMonths(startDay, o.months) - startDay
  const initial = Math.round(o.customers * o.initialCustomerShare)
  const signUps: Array<{ day: number; second: number }> = []
  for (let i = 0; i < o.customers; i++) {
    const day = i < initial ? startDay - r.int(1, MAX_PREEXISTING_TENURE_DAYS) : startDay + r.int(0, runDays - 1)
    signUps.push({ day, second: r.int(SIGN_UP_HOURS[0], SIGN_UP_HOURS[1]) })
  }
  signUps.sort((a, b) => a.day - b.day || a.second - b.second)
  const customerOptions = { contracts: o.contracts, accounts: o.accounts }
  return signUps.map((s, index) => createCustomer(index, o.seed, s.day, s.second, startDay, o.churnScale, customerOptions))
}

// Stable order by second: pack (second, index) into one float so a typed-array sort does the work.
const INDEX_BITS = 2 ** 23

function sortedOrder(seconds: number[]): number[] {
  const n = seconds.length
  if (n >= INDEX_BITS) {
    return Array.from({ length: n }, (_, i) => i).sort((a, b) => (seconds[a] as number) - (seconds[b] as number) || a - b)
  }
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) keys[i] = (seconds[i] as number) * INDEX_BITS + i
  keys.sort()
  const order = new Array<number>(n)
  for (let j = 0; j < n; j++) order[j] = (keys[j] as number) % INDEX_BITS
  return order
}

function pad(n: number): string {
  return String(n).padStart(9, '0')
}
