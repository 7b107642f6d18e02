import type { CustomerState } from './customer.js'
import { followingRenewal, hazardDrivers } from './customer.js'
import {
  CHURN_FLOW,
  CONTRACT,
  ENGAGEMENT,
  HAZARD,
  dailyVoluntaryHazard,
  logHazardWithoutEngagement,
  paymentFailureChance,
} from './model.js'

/** Days after the as-of day (0 = the as-of day itself) whose churns count as "within 90 days". */
const HORIZON_LAST_DAY = 89

/**
 * The simulator's own P(subscription_ended within 90 days) for a customer active at 00:00Z of `day`,
 * before that day is simulated. Exact in structure, approximate in two places, both on purpose:
 *
 * - Voluntary: the daily decision hazard is projected from the expected state. Engagement is an AR(1)
 *   around the baseline, so z after k steps is normal with known mean and variance, and the engagement
 *   factor exp(-b z) is averaged exactly (lognormal mean). Baseline shifts enter only as added
 *   variance; decaying shocks follow their deterministic decay; seats, plan and future tickets, price
 *   increases and payment failures are held at today's values. The survival product over days uses
 *   expected hazards (E[prod] taken as prod E). A decision on day k ends the subscription at the
 *   first renewal after the wind-down, so it counts only if that renewal falls in the horizon; the
 *   revert chance is applied on top.
 * - Involuntary: each renewal in the horizon fails all attempts with the plan's failure chance times
 *   the retry failures, counted if the final attempt lands in the horizon; an open dunning is exact.
 *
 * Customers already winding down or cancelled have a known end of term: 1 - revert chance if it is
 * in the horizon.
 *
 * Annual customers can leave only at a renewal, deciding in the review window before their notice
 * deadline: the voluntary part is 0 unless a renewal lies in the horizon, and then it sums the
 * decisions on the window days in the horizon (every such decision ends at that renewal).
 */
export function trueChurnProbability90d(c: CustomerState, day: number, churnScale: number): number {
  const renewals: number[] = []
  for (let b = c.nextBillDay; b - day <= HORIZON_LAST_DAY; b = followingRenewal(c, b)) renewals.push(b - day)

  let voluntaryEnd = Number.POSITIVE_INFINITY
  let pVoluntary = 0
  if (c.status === 'winding' || c.status === 'canceled') {
    voluntaryEnd = c.endDay - day
    // Whether a cancellation gets reverted is treated as not yet known, even though the simulator
    // draws it when the cancel happens.
    if (voluntaryEnd <= HORIZON_LAST_DAY) pVoluntary = 1 - CHURN_FLOW.revertProbability
  } else {
    const project = c.termMonths === 12 ? projectVoluntaryAnnual : projectVoluntary
    pVoluntary = project(c, day, churnScale, renewals) * (1 - CHURN_FLOW.revertProbability)
  }

  let survivesInvoluntary = 1
  const retrySpan = (CHURN_FLOW.paymentAttempts - 1) * CHURN_FLOW.retryIntervalDays
  const allRetriesFail = (1 - CHURN_FLOW.retrySuccess) ** (CHURN_FLOW.paymentAttempts - 1)
  if (c.dunningAttempts > 0) {
    const remaining = CHURN_FLOW.paymentAttempts - c.dunningAttempts
    const endsOn = c.nextRetryDay - day + (remaining - 1) * CHURN_FLOW.retryIntervalDays
    if (endsOn <= HORIZON_LAST_DAY && endsOn < voluntaryEnd) survivesInvoluntary *= 1 - (1 - CHURN_FLOW.retrySuccess) ** remaining
  }
  for (const k of renewals) {
    if (k >= voluntaryEnd || k + retrySpan > HORIZON_LAST_DAY) continue
    const failShock = c.failShock * HAZARD.failShockDecay ** (k + 1)
    survivesInvoluntary *= 1 - paymentFailureChance(c.plan, failShock) * allRetriesFail
  }
  return 1 - (1 - pVoluntary) * survivesInvoluntary
}

/**
 * The expected daily decision hazard on days 0, 1, 2, ... after `day`, one per call (the state on
 * day k after its k + 1 daily updates), with `logScale` added to the log-hazard.
 */
function createHazardPath(c: CustomerState, day: number, churnScale: number): (logScale: number) => number {
  const phi = ENGAGEMENT.persistence
  const noiseVar = ENGAGEMENT.noiseSd ** 2
  const shiftVar = 2 * ENGAGEMENT.baselineShiftRate * ENGAGEMENT.baselineShiftSize ** 2
  const b = HAZARD.engagement
  const drivers = hazardDrivers(c, day)
  let k = -1
  let phiK = 1
  return (logScale) => {
    k++
    const steps = k + 1
    phiK *= phi
    const meanZ = c.mu + phiK * (c.z - c.mu)
    const varZ = (noiseVar * (1 - phiK * phiK)) / (1 - phi * phi) + steps * shiftVar
    const logRest = logHazardWithoutEngagement({
      ...drivers,
      priceShock: drivers.priceShock * HAZARD.priceShockDecay ** steps,
      failShock: drivers.failShock * HAZARD.failShockDecay ** steps,
      ticketLoad: drivers.ticketLoad * HAZARD.ticketLoadDecay ** steps,
      tenureDays: drivers.tenureDays + k,
    })
    // exp(-b z) averaged over z ~ N(meanZ, varZ) is exp(-b meanZ + b^2 varZ / 2).
    return dailyVoluntaryHazard(logRest + logScale + (b * b * varZ) / 2, meanZ, churnScale)
  }
}

// An annual customer decides only in the review window before the notice deadline of the renewal
// `renewals[0]` (at most one renewal fits in 90 days), and every decision there ends at that renewal.
function projectVoluntaryAnnual(c: CustomerState, day: number, churnScale: number, renewals: number[]): number {
  const renewal = renewals[0]
  if (renewal === undefined || c.noticeDays === null) return 0
  const deadline = renewal - c.noticeDays
  const next = createHazardPath(c, day, churnScale)
  const logScale = Math.log(CONTRACT.windowHazardScale)
  let survival = 1
  let pEnd = 0
  for (let k = 0; k < deadline; k++) {
    const h = next(logScale)
    if (k < deadline - CONTRACT.reviewDays) continue
    pEnd += survival * h
    survival *= 1 - h
  }
  return pEnd
}

function projectVoluntary(c: CustomerState, day: number, churnScale: number, renewals: number[]): number {
  // A decision on day k cancels after D ~ U[dMin, dMax] days and ends at the first renewal after the
  // cancel day; that end is in the horizon iff k + D < the last renewal in the horizon.
  const lastRenewal = renewals.length > 0 ? (renewals[renewals.length - 1] ?? -1) : -1
  const [dMin, dMax] = CHURN_FLOW.windDownDays
  const dSpan = dMax - dMin + 1
  const next = createHazardPath(c, day, churnScale)
  let survival = 1
  let pEnd = 0
  for (let k = 0; k <= HORIZON_LAST_DAY; k++) {
    const inHorizon = Math.min(1, Math.max(0, (lastRenewal - k - dMin) / dSpan))
    if (inHorizon <= 0) break
    const h = next(0)
    pEnd += survival * h * inHorizon
    survival *= 1 - h
  }
  return pEnd
}
