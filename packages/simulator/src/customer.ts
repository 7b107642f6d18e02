import { dayOfMonth, formatInstant, nextBillingDay, type DayInfo } from './calendar.js'
import {
  ACCOUNT,
  CHURN_FLOW,
  CONTRACT,
  COUNTRIES,
  ENGAGEMENT,
  HAZARD,
  INDUSTRIES,
  OWNER_CHANGE_RATE,
  PLAN_MIX,
  PLANS,
  SEGMENTS,
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
  SimAccountEvent,
  SimBillingEvent,
  SimBillingType,
  SimCancelReason,
  SimChurn,
  SimChurnReason,
  SimEvent,
  SimInterval,
  SimMonthTruth,
  SimPlan,
  SimSegment,
  SimUsageAction,
} from './types.js'

export type CustomerStatus = 'pending' | 'active' | 'winding' | 'canceled' | 'ended'

/** Receives events in generation order; `eventId` and `occurredAt` are filled in after the day is sorted. */
export interface EventSink {
  push(event: SimEvent, second: number): void
}

/** What a customer needs of the options beyond the seed; both off reproduce the original business. */
export interface CustomerOptions {
  /** Contract terms on (annual share and notice), or null: monthly terms, no term fields emitted. */
  contracts: { annualShare: number; noticeDays: number } | null
  /** Segments, owners and account events. */
  accounts: boolean
}

/** Account (CRM) facts of a customer, drawn at creation. */
export interface AccountFacts {
  segment: SimSegment
  industry: string
  country: string
  employees: number
  ownerId: string
  channel: string
}

/** Mutable per-customer state. Days are UTC epoch days, seconds are seconds of that day. */
export interface CustomerState {
  index: number
  id: string
  /** Drives the subscription lifecycle; usage draws come from `usage` so a truth-only pass stays identical. */
  lifecycle: Rng
  usage: Rng
  traitSeed: number
  /** Sign-up attributes and owner changes; never drawn with the options off, so streams stay as they were. */
  terms: Rng
  /** Rare negative actions; never drawn with the option off. */
  rare: Rng
  /** 12 on an annual contract, else 1 (billed and renewable monthly). */
  termMonths: 1 | 12
  /** Days of notice an annual customer must give before its renewal; term fields are emitted when not null. */
  noticeDays: number | null
  account: AccountFacts | null
  /** The subscription will not renew (auto-renew off, or cancelled to the period end). */
  cancelAtPeriodEnd: boolean
  autoRenewOffDay: number
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
  options: CustomerOptions = { contracts: null, accounts: false },
): CustomerState {
  const r = createRng(mixSeed(seed, index, 1))
  const terms = createRng(mixSeed(seed, index, 4))
  const segment = options.accounts ? pickFromMix(segmentMix(), terms.next()) : undefined
  const plan = segment === undefined ? pickPlan(r.next()) : pickFromMix(SEGMENTS[segment].planMix, r.next())
  const [minSeats, maxSeats] = PLANS[plan].seatsAtStart
  const preexisting = startDay < simStartDay
  const tenureYears = preexisting ? Math.floor((simStartDay - startDay) / 365) : 0
  let priceFactor = 1
  for (let y = 0; y < tenureYears; y++) {
    if (r.chance(CHURN_FLOW.priceIncrease.probability)) priceFactor *= 1 + uniform(r, CHURN_FLOW.priceIncrease.range)
  }
  const drawnSeats = r.int(minSeats, maxSeats)
  const seats =
    segment === undefined || PLANS[plan].extraSeatMrr === 0 ? drawnSeats : Math.round(drawnSeats * SEGMENTS[segment].seatScale)
  const annualChance = options.contracts === null ? 0 : options.contracts.annualShare * (segment === undefined ? 1 : SEGMENTS[segment].annualFactor)
  const termMonths = options.contracts !== null && terms.chance(Math.min(1, annualChance)) ? 12 : 1
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
    terms,
    rare: createRng(mixSeed(seed, index, 5)),
    termMonths,
    noticeDays: options.contracts === null ? null : options.contracts.noticeDays,
    account: segment === undefined ? null : drawAccount(terms, segment),
    cancelAtPeriodEnd: false,
    autoRenewOffDay: NEVER,
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
    nextBillDay: NEVER,
    cyclesBilled: 0,
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
  if (preexisting) {
    if (termMonths === 1) {
      c.nextBillDay = nextBillingDay(anchorDom, simStartDay - 1)
      c.cyclesBilled = Math.floor((simStartDay - startDay) / 30.4375) + 1
    } else {
      let renewal = followingRenewal(c, startDay)
      c.cyclesBilled = 1
      for (; renewal < simStartDay; renewal = followingRenewal(c, renewal)) c.cyclesBilled++
      c.nextBillDay = renewal
    }
    seedChurnPipeline(c, simStartDay, churnScale)
  }
  return c
}

function segmentMix(): Record<SimSegment, number> {
  return { smb: SEGMENTS.smb.share, mid_market: SEGMENTS.mid_market.share, enterprise: SEGMENTS.enterprise.share }
}

function drawAccount(r: Rng, segment: SimSegment): AccountFacts {
  const spec = SEGMENTS[segment]
  // Headcount is log-uniform within the segment's range.
  const [lo, hi] = spec.employees
  return {
    segment,
    industry: INDUSTRIES[r.int(0, INDUSTRIES.length - 1)] ?? 'software',
    country: COUNTRIES[r.int(0, COUNTRIES.length - 1)] ?? 'US',
    employees: Math.round(lo * (hi / lo) ** r.next()),
    ownerId: spec.owners[r.int(0, spec.owners.length - 1)] ?? 'csm-pool-1',
    channel: pickFromMix({ inbound: 0.5, outbound: 0.3, partner: 0.2 }, r.next()),
  }
}

/**
 * The renewal after `day` (a renewal day, or the start of the subscription): the next billing day
 * on a monthly term, the same day a year later (clamped like card billing) on an annual one.
 */
export function followingRenewal(c: CustomerState, day: number): number {
  let next = nextBillingDay(c.anchorDom, day)
  for (let m = 1; m < c.termMonths; m++) next = nextBillingDay(c.anchorDom, next)
  return next
}

/** Whether `day` lies in an annual customer's review window: the days before its notice deadline. */
export function inReviewWindow(c: CustomerState, day: number): boolean {
  if (c.termMonths === 1 || c.noticeDays === null) return false
  const deadline = c.nextBillDay - c.noticeDays
  return day >= deadline - CONTRACT.reviewDays && day < deadline
}

/**
 * Daily chance of deciding to leave. Monthly customers can decide any day. Annual customers decide
 * about the renewal only in the review window, where the hazard is scaled up (`CONTRACT`).
 */
export function decisionHazard(c: CustomerState, drivers: HazardDrivers, day: number, churnScale: number): number {
  const logRest = logHazardWithoutEngagement(drivers)
  if (c.termMonths === 1) return dailyVoluntaryHazard(logRest, c.z, churnScale)
  return inReviewWindow(c, day) ? dailyVoluntaryHazard(logRest + Math.log(CONTRACT.windowHazardScale), c.z, churnScale) : 0
}

/**
 * Plans the cancel and end after a decision on `decisionDay`. A monthly customer cancels after the
 * wind-down and ends at the next renewal. An annual one gives notice by its deadline at the latest
 * (the wind-down is cut short) and ends at the renewal in view.
 */
function planLeaving(c: CustomerState, decisionDay: number): void {
  c.cancelDay = decisionDay + c.windDownDays
  if (c.termMonths === 1 || c.noticeDays === null) {
    c.endDay = nextBillingDay(c.anchorDom, c.cancelDay)
    return
  }
  c.cancelDay = Math.min(c.cancelDay, c.nextBillDay - c.noticeDays)
  c.windDownDays = Math.max(1, c.cancelDay - decisionDay)
  c.endDay = c.nextBillDay
  c.autoRenewOffDay =
    c.windDownDays >= 2 && c.lifecycle.chance(CONTRACT.autoRenewOffShare) ? decisionDay + c.lifecycle.int(1, c.windDownDays - 1) : NEVER
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
  const hazard = decisionHazard(c, drivers, simStartDay, churnScale)
  if (!r.chance(Math.min(1, hazard * ((dMin + dMax) / 2)))) return
  c.status = 'winding'
  c.windDownDays = r.int(dMin, dMax)
  c.decisionDay = simStartDay - r.int(0, c.windDownDays - 1)
  // An annual customer's notice is due by the deadline, which lies after the start (it is in its window).
  planLeaving(c, c.decisionDay)
  c.reason = pickWeighted(r, reasonWeights(drivers, c.z))
}

/** True while the customer has access (from start or reactivation until subscription_ended). */
export function isActive(c: CustomerState): boolean {
  return c.status === 'active' || c.status === 'winding' || c.status === 'canceled'
}

/** The `subscription_started` of a customer that existed before the simulation start. */
export function preexistingStartEvent(c: CustomerState): SimBillingEvent {
  // Its period end is the first renewal after that start, as known then.
  const periodEndDay = c.noticeDays === null ? undefined : followingRenewal(c, c.startDay)
  return billingEvent(c, 'subscription_started', { mrr: c.mrr, plan: c.plan, periodEndDay })
}

/**
 * With contracts on, the invoice of the term in progress at the simulation start of a customer that
 * existed before it (as a billing export would hold it), paid at its renewal; null otherwise. Its
 * `currentPeriodEnd` is the first renewal in the simulation.
 */
export function preexistingTermInvoice(c: CustomerState, simStartDay: number): { event: SimBillingEvent; day: number; second: number } | null {
  if (c.noticeDays === null || c.startDay >= simStartDay) return null
  let day = c.startDay
  for (let next = followingRenewal(c, day); next < simStartDay; next = followingRenewal(c, next)) day = next
  // The sign-up invoice follows the start within seconds; a later renewal is charged at night.
  const second = day === c.startDay ? Math.min(c.startSecond + 20, 86_399) : 2 * HOUR
  return { event: billingEvent(c, 'invoice_paid', { plan: c.plan, amount: c.mrr * c.termMonths }), day, second }
}

/** The account event of a customer at sign-up (with `accounts`), or null. */
export function signUpAccountEvent(c: CustomerState): SimAccountEvent | null {
  const a = c.account
  if (a === null) return null
  return {
    eventId: '',
    customerId: c.id,
    occurredAt: '',
    kind: 'account',
    name: `Company ${c.id.slice(2)}`,
    segment: a.segment,
    industry: a.industry,
    country: a.country,
    ownerId: a.ownerId,
    employees: a.employees,
    attributes: { acquisitionChannel: a.channel },
  }
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
    segment: c.account?.segment,
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
  else if (c.status === 'winding' && day === c.autoRenewOffDay) turnAutoRenewOff(c, sink)
  else if (c.status === 'winding' && day === c.cancelDay) cancel(c, day, sink)
  else if (c.status === 'active') maybeDecideToLeave(c, day, churnScale)
  if (c.status === 'active' && c.dunningAttempts === 0) maybeChangePlan(c, day, sink)
  changeSeats(c, day, sink)
  maybeOpenTicket(c, day, sink)
  if (c.account !== null) maybeChangeOwner(c, c.account, sink)
}

function maybeChangeOwner(c: CustomerState, account: AccountFacts, sink: EventSink): void {
  const r = c.terms
  if (!r.chance(OWNER_CHANGE_RATE)) return
  const owners = SEGMENTS[account.segment].owners.filter((o) => o !== account.ownerId)
  const owner = owners[r.int(0, owners.length - 1)]
  if (owner === undefined) return
  account.ownerId = owner
  sink.push({ eventId: '', customerId: c.id, occurredAt: '', kind: 'account', ownerId: owner }, workSecond(r, c.activeFromSecond))
}

/** An annual customer on the way out switches auto-renew off before giving formal notice: a warning. */
function turnAutoRenewOff(c: CustomerState, sink: EventSink): void {
  c.cancelAtPeriodEnd = true
  c.autoRenewOffDay = NEVER
  sink.push(billingEvent(c, 'subscription_changed', { mrr: c.mrr, plan: c.plan }), workSecond(c.lifecycle, 0))
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
  c.nextBillDay = followingRenewal(c, day)
  c.cancelAtPeriodEnd = false
  const account = type === 'subscription_started' ? signUpAccountEvent(c) : null
  if (account !== null) sink.push(account, second)
  sink.push(billingEvent(c, type, { mrr: c.mrr, plan: c.plan }), second)
  // The first term is charged at sign-up with the card just entered, so it always succeeds.
  const paidAt = second + c.lifecycle.int(1, 20)
  sink.push(billingEvent(c, 'invoice_paid', { plan: c.plan, amount: c.mrr * c.termMonths }), paidAt)
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
  c.nextBillDay = followingRenewal(c, day)
  // List prices rise once a year: at every 12th monthly renewal, at every annual one.
  if ((c.termMonths === 12 || c.cyclesBilled % 12 === 1) && r.chance(CHURN_FLOW.priceIncrease.probability)) {
    c.priceFactor *= 1 + uniform(r, CHURN_FLOW.priceIncrease.range)
    c.mrr = listMrr(c.plan, c.seats, c.priceFactor)
    c.priceShock += 1
    sink.push(billingEvent(c, 'subscription_changed', { mrr: c.mrr, plan: c.plan }), r.int(HOUR / 2, HOUR - 1))
  }
  const second = r.int(HOUR, 3 * HOUR - 1)
  if (r.chance(paymentFailureChance(c.plan, c.failShock))) {
    c.dunningAttempts = 1
    c.dunningAmount = c.mrr * c.termMonths
    c.nextRetryDay = day + CHURN_FLOW.retryIntervalDays
    c.failShock += 1
    sink.push(billingEvent(c, 'payment_failed', { amount: c.dunningAmount }), second)
  } else {
    sink.push(billingEvent(c, 'invoice_paid', { plan: c.plan, amount: c.mrr * c.termMonths }), second)
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
  c.autoRenewOffDay = NEVER
  c.cancelAtPeriodEnd = false
  c.endedAt = formatInstant(day, second)
  c.voluntary = voluntary
  c.churns.push({ endedAt: c.endedAt, voluntary, reason })
  const comeback = voluntary ? CHURN_FLOW.voluntaryComeback : CHURN_FLOW.involuntaryComeback
  c.comebackDay = r.chance(comeback.probability) ? day + r.int(comeback.days[0], comeback.days[1]) : NEVER
}

function maybeDecideToLeave(c: CustomerState, day: number, churnScale: number): void {
  const r = c.lifecycle
  const drivers = hazardDrivers(c, day)
  if (!r.chance(decisionHazard(c, drivers, day, churnScale))) return
  c.status = 'winding'
  c.decisionDay = day
  c.windDownDays = r.int(CHURN_FLOW.windDownDays[0], CHURN_FLOW.windDownDays[1])
  planLeaving(c, day)
  c.reason = pickWeighted(r, reasonWeights(drivers, c.z))
}

function cancel(c: CustomerState, day: number, sink: EventSink): void {
  const r = c.lifecycle
  c.status = 'canceled'
  c.cancelAtPeriodEnd = true
  c.autoRenewOffDay = NEVER
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
  c.autoRenewOffDay = NEVER
  c.cancelAtPeriodEnd = false
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
  } else if (utilisation < 0.5 && u < ACCOUNT.downgradeRate * (1 - engaged) && c.plan !== 'starter' && c.termMonths === 1) {
    // An annual contract cannot be reduced before its renewal.
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

/**
 * Daily chance of each rare negative action: for anyone, and once the customer has decided to
 * leave (winding down or canceled, before its end). Our own round numbers, not fitted to any data.
 */
const RARE_ACTIONS: ReadonlyArray<readonly [SimUsageAction, everyone: number, leaving: number]> = [
  ['export_all_data', 0.0008, 0.02],
  ['seat_downgrade_requested', 0.0005, 0.015],
]

/** Emits the day's rare negative actions (option `rareActions`). Draws only from `rare`. */
export function generateRareActions(c: CustomerState, sink: EventSink): void {
  const r = c.rare
  const leaving = c.status === 'winding' || c.status === 'canceled'
  for (const [action, everyone, whenLeaving] of RARE_ACTIONS) {
    if (!r.chance(leaving ? whenLeaving : everyone)) continue
    const user = c.users[r.int(0, c.users.length - 1)] ?? 1
    sink.push(usageEvent(c, action, 1, user), workSecond(r, c.activeFromSecond))
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
  /** Period end to state instead of the next renewal (the backdated start of a pre-existing customer). */
  periodEndDay?: number | undefined
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
  const terms = termFields(c, type, f.periodEndDay)
  if (type === 'subscription_started' || type === 'subscription_changed') {
    if (f.mrr === undefined) throw new Error(`${type} needs an mrr`)
    return { ...head, type, currency: 'USD', mrr: f.mrr, ...rest, ...terms }
  }
  return { ...head, type, currency: 'USD', ...(f.mrr !== undefined ? { mrr: f.mrr } : {}), ...rest, ...terms }
}

interface TermFields {
  interval?: SimInterval
  intervalCount?: number
  currentPeriodEnd?: string
  cancelAtPeriodEnd?: boolean
  effectiveAt?: string
}

const TERM_TYPES: ReadonlySet<SimBillingType> = new Set(['subscription_started', 'subscription_changed', 'subscription_reactivated', 'invoice_paid'])

/** Contract terms with Stripe's names, only with the `contracts` option (appended, so other fields keep their order). */
function termFields(c: CustomerState, type: SimBillingType, periodEndDay: number | undefined): TermFields {
  if (c.noticeDays === null) return {}
  if (type === 'subscription_canceled') return { effectiveAt: formatInstant(c.endDay, 0) }
  if (!TERM_TYPES.has(type)) return {}
  return {
    interval: c.termMonths === 12 ? 'year' : 'month',
    intervalCount: 1,
    currentPeriodEnd: formatInstant(periodEndDay ?? c.nextBillDay, 0),
    cancelAtPeriodEnd: c.cancelAtPeriodEnd,
  }
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

function pickFromMix<T extends string>(mix: Record<T, number>, u: number): T {
  return pickCumulative(cumulative(Object.entries(mix) as Array<[T, number]>), u)
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
