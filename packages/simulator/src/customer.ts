import { dayOfMonth, formatInstant, nextBillingDay, type DayInfo } from './calendar.js'
import {
  ACCOUNT,
  CHURN_FLOW,
  ENGAGEMENT,
  HAZARD,
  PLAN_MIX,
  PLANS,
  dailyVoluntaryHazard,
  idleSeatShare,
  listMrr,
  logHazardWithoutEngagement,
  onboardingWeight,
  paymentFailureChance,
  reasonWeights,
  type HazardDrivers,
} from './model.js'
import { createRng, hash01, mixSeed, type Rng } from './rng.js'
import type {
  SimBillingEvent,
  SimBillingType,
  SimCancelReason,
  SimChurn,
  SimChurnReason,
  SimEvent,
  SimMonthTruth,
  SimPlan,
  SimUsageAction,
} from './types.js'

export type CustomerStatus = 'pending' | 'active' | 'winding' | 'canceled' | 'ended'

/** Receives events in generation order; `eventId` and `occurredAt` are filled in after the day is sorted. */
export interface EventSink {
  push(event: SimEvent, second: number): void
}

/** Mutable per-customer state. Days are UTC epoch days, seconds are seconds of that day. */
export interface CustomerState {
  index: number
  id: string
  /** Drives the subscription lifecycle; usage draws come from `usage` so a truth-only pass stays identical. */
  lifecycle: Rng
  usage: Rng
  traitSeed: number
  status: CustomerStatus
  startDay: number
  startSecond: number
  plan: SimPlan
  seats: number
  priceFactor: number
  mrr: number
  /** Provisioned user numbers; user 1 is the account owner and is never removed. */
  users: number[]
  nextUser: number
  mu: number
  z: number
  episodeStartDay: number
  anchorDom: number
  nextBillDay: number
  cyclesBilled: number
  priceShock: number
  failShock: number
  ticketLoad: number
  decisionDay: number
  windDownDays: number
  cancelDay: number
  /** Planned end of term of a pending voluntary churn. */
  endDay: number
  reason: SimCancelReason
  revertDay: number
  /** Failed attempts on the open invoice; 0 when nothing is owed. */
  dunningAttempts: number
  nextRetryDay: number
  dunningAmount: number
  comebackDay: number
  /** Usage on the current day may not precede this second (the start or comeback time). */
  activeFromSecond: number
  startedAt: string
  endedAt: string | null
  voluntary: boolean | null
  churns: SimChurn[]
  monthly: SimMonthTruth[]
}

const HOUR = 3600
const LAST_SECOND = 86_399
const NEVER = Number.POSITIVE_INFINITY

/** Creates a customer that signs up at (startDay, startSecond); one that started before `simStartDay` starts mature. */
export function createCustomer(
  index: number,
  seed: number,
  startDay: number,
  startSecond: number,
  simStartDay: number,
  churnScale: number,
): CustomerState {
  const r = createRng(mixSeed(seed, index, 1))
  const plan = pickPlan(r.next())
  const [minSeats, maxSeats] = PLANS[plan].seatsAtStart
  const preexisting = startDay < simStartDay
  const tenureYears = preexisting ? Math.floor((simStartDay - startDay) / 365) : 0
  let priceFactor = 1
  for (let y = 0; y < tenureYears; y++) {
    if (r.chance(CHURN_FLOW.priceIncrease.probability)) priceFactor *= 1 + uniform(r, CHURN_FLOW.priceIncrease.range)
  }
  const seats = r.int(minSeats, maxSeats)
  const userShare = preexisting ? uniform(r, [0.55, 1]) : uniform(r, [0.2, 0.5])
  const userCount = Math.max(1, Math.round(seats * userShare))
  // Customers that already survived a while are, on average, the more engaged ones.
  const mu = ENGAGEMENT.baselineSd * r.normal() + (preexisting ? 0.2 : 0)
  const stationarySd = ENGAGEMENT.noiseSd / Math.sqrt(1 - ENGAGEMENT.persistence ** 2)
  const z = mu + (preexisting ? stationarySd : 0.3) * r.normal()
  const anchorDom = dayOfMonth(startDay)
  const c: CustomerState = {
    index,
    id: `c-${String(index + 1).padStart(6, '0')}`,
    lifecycle: r,
    usage: createRng(mixSeed(seed, index, 2)),
    traitSeed: mixSeed(seed, index, 3),
    status: preexisting ? 'active' : 'pending',
    startDay,
    startSecond,
    plan,
    seats,
    priceFactor,
    mrr: listMrr(plan, seats, priceFactor),
    users: Array.from({ length: userCount }, (_, i) => i + 1),
    nextUser: userCount + 1,
    mu,
    z,
    episodeStartDay: startDay,
    anchorDom,
    nextBillDay: preexisting ? nextBillingDay(anchorDom, simStartDay - 1) : NEVER,
    cyclesBilled: preexisting ? Math.floor((simStartDay - startDay) / 30.4375) + 1 : 0,
    priceShock: 0,
    failShock: 0,
    ticketLoad: 0,
    decisionDay: NEVER,
    windDownDays: 1,
    cancelDay: NEVER,
    endDay: NEVER,
    reason: 'missing_features',
    revertDay: NEVER,
    dunningAttempts: 0,
    nextRetryDay: NEVER,
    dunningAmount: 0,
    comebackDay: NEVER,
    activeFromSecond: 0,
    startedAt: formatInstant(startDay, startSecond),
    endedAt: null,
    voluntary: null,
    churns: [],
    monthly: [],
  }
  if (preexisting) seedChurnPipeline(c, simStartDay, churnScale)
  return c
}

/**
 * A business observed from `start` already has customers on their way out. Puts a pre-existing customer
 * into the wind-down with the chance of having decided during a mean wind-down, so that churn does not
 * start from zero in the first weeks. Decisions are placed so that the cancel itself falls after `start`.
 */
function seedChurnPipeline(c: CustomerState, simStartDay: number, churnScale: number): void {
  const r = c.lifecycle
  const [dMin, dMax] = CHURN_FLOW.windDownDays
  const drivers = hazardDrivers(c, simStartDay)
  const hazard = dailyVoluntaryHazard(logHazardWithoutEngagement(drivers), c.z, churnScale)
  if (!r.chance(Math.min(1, hazard * ((dMin + dMax) / 2)))) return
  c.status = 'winding'
  c.windDownDays = r.int(dMin, dMax)
  c.decisionDay = simStartDay - r.int(0, c.windDownDays - 1)
  c.cancelDay = c.decisionDay + c.windDownDays
  c.endDay = nextBillingDay(c.anchorDom, c.cancelDay)
  c.reason = pickWeighted(r, reasonWeights(drivers, c.z))
}

/** True while the customer has access (from start or reactivation until subscription_ended). */
export function isActive(c: CustomerState): boolean {
  return c.status === 'active' || c.status === 'winding' || c.status === 'canceled'
}

/** The `subscription_started` of a customer that existed before the simulation start. */
export function preexistingStartEvent(c: CustomerState): SimBillingEvent {
  return billingEvent(c, 'subscription_started', { mrr: c.mrr, plan: c.plan })
}

/** Engagement that shows in usage: the latent score minus the fade of a customer on the way out. */
export function visibleEngagement(c: CustomerState, day: number): number {
  if (c.status === 'winding') {
    return c.z - CHURN_FLOW.windDownDrop * Math.min(1, (day - c.decisionDay) / c.windDownDays)
  }
  return c.status === 'canceled' ? c.z - CHURN_FLOW.canceledDrop : c.z
}

/** Hazard drivers of the customer on `day` (engagement excluded). */
export function hazardDrivers(c: CustomerState, day: number): HazardDrivers {
  return {
    plan: c.plan,
    idleSeats: idleSeatShare(c.plan, c.users.length, c.seats),
    priceShock: c.priceShock,
    failShock: c.failShock,
    ticketLoad: c.ticketLoad,
    tenureDays: day - c.episodeStartDay,
  }
}

/**
 * Advances one day of the subscription: engagement drift, billing, dunning, cancellation and its
 * reversal, the decision to leave, plan and seat changes, support tickets. Draws only from `lifecycle`.
 */
export function stepLifecycle(
  c: CustomerState,
  day: number,
  churnScale: number,
  sink: EventSink,
): void {
  c.activeFromSecond = 0
  if (c.status === 'pending') {
    if (day === c.startDay) begin(c, day, c.startSecond, 'subscription_started', sink)
    return
  }
  if (c.status === 'ended') {
    if (day === c.comebackDay) comeBack(c, day, sink)
    return
  }
  const r = c.lifecycle
  c.priceShock *= HAZARD.priceShockDecay
  c.failShock *= HAZARD.failShockDecay
  c.ticketLoad *= HAZARD.ticketLoadDecay
  const shift = r.next()
  if (shift < ENGAGEMENT.baselineShiftRate) c.mu -= ENGAGEMENT.baselineShiftSize
  else if (shift < 2 * ENGAGEMENT.baselineShiftRate) c.mu += ENGAGEMENT.baselineShiftSize
  c.z = c.mu + ENGAGEMENT.persistence * (c.z - c.mu) + ENGAGEMENT.noiseSd * r.normal()

  if (day === c.nextBillDay) billingDay(c, day, sink)
  if (!isActive(c)) return
  if (c.dunningAttempts > 0 && day === c.nextRetryDay) retryPayment(c, day, sink)
  if (!isActive(c)) return

  if (c.status === 'canceled' && day === c.revertDay) revert(c, day, sink)
  else if (c.status === 'winding' && day === c.cancelDay) cancel(c, day, sink)
  else if (c.status === 'active') maybeDecideToLeave(c, day, churnScale)
  if (c.status === 'active' && c.dunningAttempts === 0) maybeChangePlan(c, day, sink)
  changeSeats(c, day, sink)
  maybeOpenTicket(c, day, sink)
}

function begin(
  c: CustomerState,
  day: number,
  second: number,
  type: 'subscription_started' | 'subscription_reactivated',
  sink: EventSink,
): void {
  c.status = 'active'
  c.episodeStartDay = day
  c.anchorDom = dayOfMonth(day)
  c.cyclesBilled = 1
  c.nextBillDay = nextBillingDay(c.anchorDom, day)
  sink.push(billingEvent(c, type, { mrr: c.mrr, plan: c.plan }), second)
  // The first month is charged at sign-up with the card just entered, so it always succeeds.
  const paidAt = second + c.lifecycle.int(1, 20)
  sink.push(billingEvent(c, 'invoice_paid', { plan: c.plan, amount: c.mrr }), paidAt)
  c.activeFromSecond = paidAt + 10
}

function comeBack(c: CustomerState, day: number, sink: EventSink): void {
  const r = c.lifecycle
  const [minSeats, maxSeats] = PLANS[c.plan].seatsAtStart
  c.seats = r.int(minSeats, maxSeats)
  c.users = c.users.slice(0, Math.max(1, Math.round(c.seats * uniform(r, [0.3, 0.6]))))
  c.mrr = listMrr(c.plan, c.seats, c.priceFactor)
  c.mu += 0.3
  c.z = c.mu + 0.3
  c.comebackDay = NEVER
  c.endedAt = null
  c.voluntary = null
  begin(c, day, workSecond(r, 0), 'subscription_reactivated', sink)
}

function billingDay(
  c: CustomerState,
  day: number,
  sink: EventSink,
): void {
  const r = c.lifecycle
  if (c.status === 'canceled' && day === c.endDay) {
    // End of the paid term: access stops in the first hour of the renewal day, before any charge.
    end(c, day, r.int(0, HOUR - 1), true, c.reason, sink)
    return
  }
  c.cyclesBilled++
  c.nextBillDay = nextBillingDay(c.anchorDom, day)
  if (c.cyclesBilled % 12 === 1 && r.chance(CHURN_FLOW.priceIncrease.probability)) {
    c.priceFactor *= 1 + uniform(r, CHURN_FLOW.priceIncrease.range)
    c.mrr = listMrr(c.plan, c.seats, c.priceFactor)
    c.priceShock += 1
    sink.push(billingEvent(c, 'subscription_changed', { mrr: c.mrr, plan: c.plan }), r.int(HOUR / 2, HOUR - 1))
  }
  const second = r.int(HOUR, 3 * HOUR - 1)
  if (r.chance(paymentFailureChance(c.plan, c.failShock))) {
    c.dunningAttempts = 1
    c.dunningAmount = c.mrr
    c.nextRetryDay = day + CHURN_FLOW.retryIntervalDays
    c.failShock += 1
    sink.push(billingEvent(c, 'payment_failed', { amount: c.mrr }), second)
  } else {
    sink.push(billingEvent(c, 'invoice_paid', { plan: c.plan, amount: c.mrr }), second)
  }
}

function retryPayment(
  c: CustomerState,
  day: number,
  sink: EventSink,
): void {
  const r = c.lifecycle
  const second = r.int(HOUR, 3 * HOUR - 1)
  if (r.chance(CHURN_FLOW.retrySuccess)) {
    c.dunningAttempts = 0
    c.nextRetryDay = NEVER
    sink.push(billingEvent(c, 'invoice_paid', { plan: c.plan, amount: c.dunningAmount }), second)
    return
  }
  c.dunningAttempts++
  c.failShock += 1
  sink.push(billingEvent(c, 'payment_failed', { amount: c.dunningAmount }), second)
  if (c.dunningAttempts >= CHURN_FLOW.paymentAttempts) {
    end(c, day, second + r.int(1, 60), false, 'payment_failed', sink)
  } else {
    c.nextRetryDay = day + CHURN_FLOW.retryIntervalDays
  }
}

function end(
  c: CustomerState,
  day: number,
  second: number,
  voluntary: boolean,
  reason: SimChurnReason,
  sink: EventSink,
): void {
  const r = c.lifecycle
  sink.push(billingEvent(c, 'subscription_ended', { reason, voluntary }), second)
  c.status = 'ended'
  c.dunningAttempts = 0
  c.nextRetryDay = NEVER
  c.nextBillDay = NEVER
  c.decisionDay = NEVER
  c.cancelDay = NEVER
  c.endDay = NEVER
  c.revertDay = NEVER
  c.endedAt = formatInstant(day, second)
  c.voluntary = voluntary
  c.churns.push({ endedAt: c.endedAt, voluntary, reason })
  const comeback = voluntary ? CHURN_FLOW.voluntaryComeback : CHURN_FLOW.involuntaryComeback
  c.comebackDay = r.chance(comeback.probability) ? day + r.int(comeback.days[0], comeback.days[1]) : NEVER
}

function maybeDecideToLeave(c: CustomerState, day: number, churnScale: number): void {
  const r = c.lifecycle
  const drivers = hazardDrivers(c, day)
  if (!r.chance(dailyVoluntaryHazard(logHazardWithoutEngagement(drivers), c.z, churnScale))) return
  c.status = 'winding'
  c.decisionDay = day
  c.windDownDays = r.int(CHURN_FLOW.windDownDays[0], CHURN_FLOW.windDownDays[1])
  c.cancelDay = day + c.windDownDays
  c.endDay = nextBillingDay(c.anchorDom, c.cancelDay)
  c.reason = pickWeighted(r, reasonWeights(drivers, c.z))
}

function cancel(c: CustomerState, day: number, sink: EventSink): void {
  const r = c.lifecycle
  c.status = 'canceled'
  sink.push(billingEvent(c, 'subscription_canceled', { reason: c.reason, voluntary: true }), workSecond(r, 0))
  const daysLeft = c.endDay - day
  c.revertDay = daysLeft >= 2 && r.chance(CHURN_FLOW.revertProbability) ? day + r.int(1, daysLeft - 1) : NEVER
}

function revert(c: CustomerState, day: number, sink: EventSink): void {
  c.status = 'active'
  c.decisionDay = NEVER
  c.cancelDay = NEVER
  c.endDay = NEVER
  c.revertDay = NEVER
  // A save by customer success: the account re-engages, and a little more durably than before.
  c.mu += 0.4
  c.z += 1
  sink.push(billingEvent(c, 'subscription_reactivated', { mrr: c.mrr, plan: c.plan }), workSecond(c.lifecycle, 0))
}

function maybeChangePlan(c: CustomerState, day: number, sink: EventSink): void {
  const r = c.lifecycle
  const u = r.next()
  const utilisation = c.users.length / c.seats
  const engaged = sigmoid(2 * c.z)
  let changed = false
  if (utilisation >= 0.9 && u < ACCOUNT.upgradeRate * engaged) {
    if (c.plan === 'starter') {
      c.plan = 'pro'
      c.seats = PLANS.pro.includedSeats
    } else {
      c.seats += c.plan === 'pro' ? r.int(1, 3) : r.int(2, 8)
    }
    changed = true
  } else if (utilisation < 0.5 && u < ACCOUNT.downgradeRate * (1 - engaged) && c.plan !== 'starter') {
    const users = c.users.length
    if (c.plan === 'pro' && users <= PLANS.starter.includedSeats) {
      c.plan = 'starter'
      c.seats = PLANS.starter.includedSeats
    } else {
      c.seats = Math.max(PLANS[c.plan].includedSeats, Math.ceil(users * 1.15))
    }
    changed = true
  }
  if (!changed) return
  const mrr = listMrr(c.plan, c.seats, c.priceFactor)
  if (mrr === c.mrr) return
  c.mrr = mrr
  sink.push(billingEvent(c, 'subscription_changed', { mrr: c.mrr, plan: c.plan }), workSecond(r, 0))
}

function changeSeats(c: CustomerState, day: number, sink: EventSink): void {
  const r = c.lifecycle
  const u = r.next()
  const count = c.users.length
  const engagement = visibleEngagement(c, day)
  const leaving = c.status !== 'active'
  const pAdd =
    count < c.seats && !leaving
      ? (ACCOUNT.seatAddRate + ACCOUNT.seatAddOnboardingRate * onboardingWeight(day - c.episodeStartDay)) *
        sigmoid(engagement + 0.5)
      : 0
  const pRemove =
    count > 1 ? ACCOUNT.seatRemoveRate * sigmoid(-engagement) + (leaving ? ACCOUNT.seatRemoveWindDownRate : 0) : 0
  if (u < pAdd) {
    const user = c.nextUser++
    c.users.push(user)
    sink.push(usageEvent(c, 'seat_added', 1, user), workSecond(r, c.activeFromSecond))
  } else if (u < pAdd + pRemove) {
    const [user] = c.users.splice(r.int(1, count - 1), 1)
    if (user !== undefined) sink.push(usageEvent(c, 'seat_removed', 1, user), workSecond(r, c.activeFromSecond))
  }
}

function maybeOpenTicket(c: CustomerState, day: number, sink: EventSink): void {
  const r = c.lifecycle
  const p =
    ACCOUNT.ticketRate * Math.sqrt(c.users.length) * Math.exp(-0.8 * visibleEngagement(c, day)) +
    ACCOUNT.ticketOnboardingRate * onboardingWeight(day - c.episodeStartDay)
  if (!r.chance(p)) return
  c.ticketLoad += 1
  const user = c.users[r.int(0, c.users.length - 1)] ?? 1
  sink.push(usageEvent(c, 'support_ticket_opened', 1, user), workSecond(r, c.activeFromSecond))
}

const ACTION_MIX: Record<SimPlan, Array<[SimUsageAction, number]>> = {
  starter: cumulative([['login', 0.4], ['dashboard_viewed', 0.35], ['api_call', 0.1], ['report_exported', 0.15]]),
  pro: cumulative([['login', 0.35], ['dashboard_viewed', 0.3], ['api_call', 0.2], ['report_exported', 0.15]]),
  enterprise: cumulative([['login', 0.3], ['dashboard_viewed', 0.25], ['api_call', 0.3], ['report_exported', 0.15]]),
}

/**
 * Emits the day's product usage: each provisioned user is active with a probability driven by
 * visible engagement, season, weekday and a fixed per-user affinity; an active user emits on average
 * `eventsPerActiveUserPerDay` aggregated events (counts in `quantity`). Draws only from `usage`.
 */
export function generateUsage(
  c: CustomerState,
  day: number,
  info: DayInfo,
  eventsPerActiveUserPerDay: number,
  sink: EventSink,
): void {
  const r = c.usage
  const engagement = visibleEngagement(c, day)
  const base =
    ENGAGEMENT.userActivityBias +
    engagement +
    (ENGAGEMENT.season[info.month] ?? 0) +
    (info.weekday === 0 || info.weekday === 6 ? ENGAGEMENT.weekend : 0)
  const intensity = Math.exp(0.4 * engagement)
  const mix = ACTION_MIX[c.plan]
  const extra = eventsPerActiveUserPerDay - 1
  for (const user of c.users) {
    const affinity = (hash01(c.traitSeed, user) - 0.5) * ENGAGEMENT.userAffinitySpread + (user === 1 ? 0.6 : 0)
    if (r.next() >= sigmoid(base + affinity)) continue
    const count = extra >= 0 ? 1 + r.poisson(extra) : r.chance(eventsPerActiveUserPerDay) ? 1 : 0
    let second = sessionStart(r, c.activeFromSecond)
    for (let k = 0; k < count; k++) {
      const action = pickCumulative(mix, r.next())
      sink.push(usageEvent(c, action, usageQuantity(r, action, intensity), user), second)
      second = Math.min(LAST_SECOND, second + r.int(10, 1800))
    }
  }
}

function usageQuantity(r: Rng, action: SimUsageAction, intensity: number): number {
  switch (action) {
    case 'dashboard_viewed':
      return 1 + r.poisson(2 * intensity)
    case 'api_call':
      return 1 + Math.floor(-Math.log(1 - r.next()) * 20 * intensity)
    case 'report_exported':
      return 1 + r.poisson(0.4 * intensity)
    default:
      return 1 + r.poisson(0.3)
  }
}

function usageEvent(c: CustomerState, action: SimUsageAction, quantity: number, user: number): SimEvent {
  return {
    eventId: '',
    customerId: c.id,
    occurredAt: '',
    kind: 'usage',
    action,
    quantity,
    userId: `${c.id}-u${user}`,
  }
}

interface BillingFields {
  mrr?: number
  plan?: SimPlan
  amount?: number
  reason?: SimChurnReason
  voluntary?: boolean
}

function billingEvent(c: CustomerState, type: SimBillingType, f: BillingFields): SimBillingEvent {
  // Field order as emitted (NDJSON bytes stay the same for a seed): mrr first, then the others.
  const rest = {
    ...(f.plan !== undefined ? { plan: f.plan } : {}),
    ...(f.amount !== undefined ? { amount: f.amount } : {}),
    ...(f.reason !== undefined ? { reason: f.reason } : {}),
    ...(f.voluntary !== undefined ? { voluntary: f.voluntary } : {}),
  }
  const head = { eventId: '', customerId: c.id, occurredAt: '', kind: 'billing' as const }
  if (type === 'subscription_started' || type === 'subscription_changed') {
    if (f.mrr === undefined) throw new Error(`${type} needs an mrr`)
    return { ...head, type, currency: 'USD', mrr: f.mrr, ...rest }
  }
  return { ...head, type, currency: 'USD', ...(f.mrr !== undefined ? { mrr: f.mrr } : {}), ...rest }
}

/** A second in office hours (08:00-20:00), not before `from`. */
function workSecond(r: Rng, from: number): number {
  const lo = Math.max(from, 8 * HOUR)
  const hi = Math.max(lo + 60, 20 * HOUR)
  return Math.min(LAST_SECOND, lo + Math.floor(r.next() * (hi - lo)))
}

/** Start of a user's session: 06:00-22:00, not before `from`. */
function sessionStart(r: Rng, from: number): number {
  const lo = Math.max(from, 6 * HOUR)
  const hi = Math.max(lo + 60, 22 * HOUR)
  return Math.min(LAST_SECOND, lo + Math.floor(r.next() * (hi - lo)))
}

function pickPlan(u: number): SimPlan {
  if (u < PLAN_MIX.starter) return 'starter'
  return u < PLAN_MIX.starter + PLAN_MIX.pro ? 'pro' : 'enterprise'
}

function pickWeighted<T>(r: Rng, weights: Array<[T, number]>): T {
  const total = weights.reduce((sum, [, w]) => sum + w, 0)
  return pickCumulative(cumulative(weights), r.next() * total)
}

function cumulative<T>(weights: Array<[T, number]>): Array<[T, number]> {
  let acc = 0
  return weights.map(([value, w]) => {
    acc += w
    return [value, acc]
  })
}

function pickCumulative<T>(table: Array<[T, number]>, u: number): T {
  for (const [value, upTo] of table) if (u < upTo) return value
  const last = table[table.length - 1]
  if (last === undefined) throw new RangeError('empty weight table')
  return last[0]
}

function uniform(r: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + (hi - lo) * r.next()
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x))
}
