import type { SimCancelReason, SimPlan, SimSegment } from './types.js'

// The parameters of the simulated business in one place. Rates are per day unless named otherwise;
// "engagement" is a latent score around 0 (standard-deviation scale) that drives both usage and churn.

export interface PlanSpec {
  baseMrr: number
  includedSeats: number
  /** Price of each seat above `includedSeats`, cents per month; 0 = flat plan. */
  extraSeatMrr: number
  /** Seats bought on sign-up: [min, max]. */
  seatsAtStart: readonly [number, number]
  /** Chance that a renewal charge fails on the first attempt. */
  paymentFailure: number
}

export const PLANS: Record<SimPlan, PlanSpec> = {
  starter: { baseMrr: 2900, includedSeats: 3, extraSeatMrr: 0, seatsAtStart: [3, 3], paymentFailure: 0.07 },
  pro: { baseMrr: 9900, includedSeats: 5, extraSeatMrr: 1500, seatsAtStart: [5, 12], paymentFailure: 0.045 },
  enterprise: { baseMrr: 49900, includedSeats: 20, extraSeatMrr: 1200, seatsAtStart: [20, 45], paymentFailure: 0.02 },
}

/** Sign-up plan mix (cumulative thresholds are derived from these weights). */
export const PLAN_MIX: Record<SimPlan, number> = { starter: 0.55, pro: 0.35, enterprise: 0.1 }

/** MRR in cents for a plan and seat count after the customer's accumulated price changes. */
export function listMrr(plan: SimPlan, seats: number, priceFactor: number): number {
  const spec = PLANS[plan]
  const list = spec.baseMrr + Math.max(0, seats - spec.includedSeats) * spec.extraSeatMrr
  return Math.round((list * priceFactor) / 100) * 100
}

export const ENGAGEMENT = {
  /** AR(1) pull toward the customer's baseline: z' = mu + persistence * (z - mu) + noise. */
  persistence: 0.97,
  noiseSd: 0.12,
  /** Spread of customers' baselines at sign-up. */
  baselineSd: 0.6,
  /** Daily chance of a lasting shift of the baseline (a champion leaves, a team adopts), each way. */
  baselineShiftRate: 0.0012,
  baselineShiftSize: 0.7,
  /** Additive effect on usage by calendar month (January first): quiet August and December. */
  season: [0.05, 0.05, 0.05, 0, 0, -0.05, -0.2, -0.55, 0, 0.05, 0, -0.45] as readonly number[],
  weekend: -1.6,
  /** Log-odds offset of a provisioned user being active on a weekday at engagement 0. */
  userActivityBias: 0.2,
  /** Per-user fixed affinity spread (some users live in the product). */
  userAffinitySpread: 1.2,
} as const

export const HAZARD = {
  /** Daily hazard of deciding to leave at engagement 0 with every other driver at 0. */
  base: 0.00035,
  /** Log-hazard per unit of engagement below 0. */
  engagement: 0.9,
  /** Log-hazard per unit of idle purchased seats (1 - users / seats) on seat-based plans. */
  idleSeats: 1.3,
  /** Log-hazard per unit of price shock (+1 at a price increase, decaying). */
  priceShock: 1.0,
  priceShockDecay: Math.exp(-1 / 60),
  /** Log-hazard per unit of payment-failure shock (+1 per failed charge, decaying). */
  failShock: 0.5,
  failShockDecay: Math.exp(-1 / 30),
  /** Log-hazard per unit of ticket load (+1 per support ticket, decaying). */
  ticketLoad: 0.15,
  ticketLoadDecay: Math.exp(-1 / 21),
  /** Extra log-hazard at sign-up, fading linearly to 0 over `onboardingDays`. */
  onboarding: 2.2,
  onboardingDays: 90,
  plan: { starter: 0.25, pro: 0, enterprise: -0.6 } as Record<SimPlan, number>,
  cap: 0.05,
} as const

export const CHURN_FLOW = {
  /** After deciding to leave, usage fades for this many days before `subscription_canceled`. */
  windDownDays: [14, 42] as const,
  /** Engagement drop reached at the end of the wind-down, and kept after cancelling. */
  windDownDrop: 1.8,
  canceledDrop: 2.6,
  /** Chance that a cancellation is reverted before the end of term (a save by customer success). */
  revertProbability: 0.15,
  voluntaryComeback: { probability: 0.1, days: [60, 300] as const },
  involuntaryComeback: { probability: 0.3, days: [3, 45] as const },
  /** Charge attempts per invoice (first + retries) and the days between them. */
  paymentAttempts: 4,
  retryIntervalDays: 3,
  retrySuccess: 0.45,
  /** Each recent failure raises the chance that the next charge fails too. */
  failureRepeat: 0.8,
  /** At each 12th renewal: chance and size range of a list-price increase. */
  priceIncrease: { probability: 0.35, range: [0.08, 0.25] as const },
} as const

export const ACCOUNT = {
  /** Daily chance of provisioning a user while seats are free, plus an onboarding ramp. */
  seatAddRate: 0.015,
  seatAddOnboardingRate: 0.06,
  seatRemoveRate: 0.004,
  seatRemoveWindDownRate: 0.03,
  upgradeRate: 0.006,
  downgradeRate: 0.003,
  /** Support tickets: rate per sqrt(users), more when engagement is low and during onboarding. */
  ticketRate: 0.006,
  ticketOnboardingRate: 0.02,
} as const

/** Linear onboarding weight: 1 on the first day of a subscription, 0 from `onboardingDays`. */
export function onboardingWeight(tenureDays: number): number {
  return Math.max(0, 1 - tenureDays / HAZARD.onboardingDays)
}

/** Share of purchased seats with no provisioned user; 0 on the flat starter plan. */
export function idleSeatShare(plan: SimPlan, users: number, seats: number): number {
  return PLANS[plan].extraSeatMrr === 0 ? 0 : Math.max(0, 1 - users / seats)
}

export interface SegmentSpec {
  /** Share of sign-ups. */
  share: number
  /** Sign-up plan mix within the segment. */
  planMix: Record<SimPlan, number>
  /** Multiplies the seats bought on a seat-based plan (bigger companies buy more). */
  seatScale: number
  /** Added to the log of the voluntary hazard (small companies leave more readily). */
  logHazard: number
  /** Multiplies the configured annual share (larger buyers sign yearly contracts more often). */
  annualFactor: number
  /** Employees at sign-up: [min, max]. */
  employees: readonly [number, number]
  /** Owners (CSMs) serving the segment: a pooled team for smb, named CSMs for larger accounts. */
  owners: readonly string[]
}

// Chosen from how B2B SaaS is usually sold (self-serve small companies, sales-led larger ones), not
// fitted to any population. The annual factors average about 1 over the segment mix.
export const SEGMENTS: Record<SimSegment, SegmentSpec> = {
  smb: {
    share: 0.6,
    planMix: { starter: 0.75, pro: 0.25, enterprise: 0 },
    seatScale: 1,
    logHazard: 0.3,
    annualFactor: 0.6,
    employees: [5, 99],
    owners: ['csm-pool-1', 'csm-pool-2', 'csm-pool-3'],
  },
  mid_market: {
    share: 0.3,
    planMix: { starter: 0.15, pro: 0.7, enterprise: 0.15 },
    seatScale: 1.3,
    logHazard: 0,
    annualFactor: 1.4,
    employees: [100, 999],
    owners: ['csm-11', 'csm-12', 'csm-13', 'csm-14', 'csm-15', 'csm-16'],
  },
  enterprise: {
    share: 0.1,
    planMix: { starter: 0, pro: 0.3, enterprise: 0.7 },
    seatScale: 1.8,
    logHazard: -0.5,
    annualFactor: 2,
    employees: [1000, 20000],
    owners: ['csm-21', 'csm-22', 'csm-23', 'csm-24'],
  },
}

export const INDUSTRIES = ['software', 'financial_services', 'healthcare', 'retail', 'manufacturing', 'education', 'media'] as const
export const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'CA', 'AU', 'SE'] as const

/** Daily chance that an account is handed to another owner of its segment. */
export const OWNER_CHANGE_RATE = 1 / 540

export const CONTRACT = {
  /** Annual customers decide about the renewal in this many days before their notice deadline. */
  reviewDays: 90,
  /**
   * Multiplies the daily decision hazard inside the review window (it is 0 outside it). About a
   * year of monthly hazard compressed into the window, less a third for the commitment a yearly
   * contract reflects.
   */
  windowHazardScale: 2.7,
  /** Share of annual customers who, having decided to leave, first switch auto-renew off. */
  autoRenewOffShare: 0.5,
} as const

export interface HazardDrivers {
  /** Absent with segments off (adds nothing to the hazard). */
  segment?: SimSegment | undefined
  plan: SimPlan
  idleSeats: number
  priceShock: number
  failShock: number
  ticketLoad: number
  tenureDays: number
}

/** Log of the daily voluntary hazard without the engagement term (kept apart for the projection). */
export function logHazardWithoutEngagement(d: HazardDrivers): number {
  return (
    Math.log(HAZARD.base) +
    HAZARD.plan[d.plan] +
    HAZARD.idleSeats * d.idleSeats +
    HAZARD.priceShock * d.priceShock +
    HAZARD.failShock * d.failShock +
    HAZARD.ticketLoad * d.ticketLoad +
    HAZARD.onboarding * onboardingWeight(d.tenureDays) +
    (d.segment === undefined ? 0 : SEGMENTS[d.segment].logHazard)
  )
}

/** Daily probability of deciding to leave, given the drivers' log-hazard and engagement `z`. */
export function dailyVoluntaryHazard(logRest: number, z: number, scale: number): number {
  return Math.min(HAZARD.cap, scale * Math.exp(logRest - HAZARD.engagement * z))
}

/** Chance that a charge fails, given the plan and recent failures. */
export function paymentFailureChance(plan: SimPlan, failShock: number): number {
  return Math.min(0.9, PLANS[plan].paymentFailure * (1 + CHURN_FLOW.failureRepeat * failShock))
}

/** Relative weights of cancel reasons given what drove the decision. */
export function reasonWeights(d: HazardDrivers, z: number): Array<[SimCancelReason, number]> {
  return [
    ['too_expensive', 0.8 + 2.5 * d.priceShock + 0.5 * d.failShock + (d.plan === 'starter' ? 0.4 : 0)],
    ['missing_features', 0.8],
    ['switched_competitor', 0.7],
    ['no_longer_needed', 0.6 + 0.8 * Math.max(0, -z) + d.idleSeats],
    ['poor_support', 0.3 + 1.5 * d.ticketLoad],
  ]
}
