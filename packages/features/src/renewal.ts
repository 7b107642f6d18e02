import { baselineEvents14d, type AsOfFacts } from './as-of.js'
import { DAYS_PER_MONTH, periodDays } from './contract-terms.js'
import type { FeatureDefinition } from './definitions.js'
import { countOf, formatCount, formatPercent, type DriverFacts } from './sentences.js'
import { MS_PER_DAY } from './time.js'

/**
 * Days to renewal are capped here: beyond a year a renewal is far outside the 90-day horizon, and
 * a customer whose renewal is unknown reads this value too (with `renewal_known` 0), so a model
 * splitting on "renewal soon" never counts the unknown as soon.
 */
export const MAX_DAYS_TO_RENEWAL = 366
/** The notice window: the last 30 days before a renewal, at most a third of the period (ADR 0003). */
export const NOTICE_WINDOW_DAYS = 30
export const NOTICE_WINDOW_MAX_SHARE = 1 / 3
/** Usage against usual is capped here, so a burst in a quiet account cannot dominate a linear model. */
export const MAX_USAGE_VS_USUAL = 4

const round = (value: number): number => Math.round(value * 10_000) / 10_000

/** Days from asOf to the next renewal, or null when unknown. */
function daysToRenewal({ contract, asOfMs }: AsOfFacts): number | null {
  return contract.currentPeriodEnd === null ? null : (contract.currentPeriodEnd - asOfMs) / MS_PER_DAY
}

/** Months per billing period (12 = annual, 1 = monthly, a week about 0.23); 0 when unknown. */
function intervalMonths({ contract: { interval, intervalCount } }: AsOfFacts): number {
  if (interval === null) return 0
  return round(periodDays({ interval, count: intervalCount ?? 1 }) / DAYS_PER_MONTH)
}

/** True when the next renewal is known and at most the notice window away. */
function inNoticeWindow(facts: AsOfFacts): boolean {
  const days = daysToRenewal(facts)
  if (days === null) return false
  const { interval, intervalCount } = facts.contract
  // A period end sent without an interval: the 30 days alone.
  const share = interval === null ? Infinity : NOTICE_WINDOW_MAX_SHARE * periodDays({ interval, count: intervalCount ?? 1 })
  return days <= Math.min(NOTICE_WINDOW_DAYS, share)
}

const TERM_NAMES: ReadonlyArray<readonly [months: number, name: string]> = [
  [12, 'an annual'],
  [6, 'a half-yearly'],
  [3, 'a quarterly'],
  [1, 'a monthly'],
  [round(7 / DAYS_PER_MONTH), 'a weekly'],
  [round(1 / DAYS_PER_MONTH), 'a daily'],
]

/** "an annual contract", "a 24-month contract"; undefined when the term is unknown. */
function contractTerm(months: number | undefined): string | undefined {
  if (months === undefined || months <= 0) return undefined
  const named = TERM_NAMES.find(([m]) => Math.abs(m - months) < 1e-3)
  return `${named ? named[1] : `a ${formatCount(months)}-month`} contract`
}

const isSet = (value: number | undefined): boolean => value !== undefined && value >= 0.5

/** "in 12 days", "within a day", "in more than a year". */
function whenRenewing(days: number): string {
  return days >= MAX_DAYS_TO_RENEWAL ? 'in more than a year' : days < 1 ? 'within a day' : `in ${countOf(Math.round(days), 'day')}`
}

/** Days to renewal from a row, undefined when the model lacks it or the renewal is unknown. */
function knownDays(otherValue: DriverFacts['otherValue']): number | undefined {
  return otherValue('renewal_known') === 0 ? undefined : otherValue('days_to_renewal')
}

/** "Renews in 12 days on an annual contract; cancellation scheduled", from a row's renewal values. */
function renewalSentence(days: number, otherValue: DriverFacts['otherValue']): string {
  const term = contractTerm(otherValue('contract_interval_months'))
  const when = whenRenewing(days)
  const cancel = isSet(otherValue('cancel_at_period_end')) || isSet(otherValue('cancellation_requested')) ? '; cancellation scheduled' : ''
  return `Renews ${when}${term === undefined ? '' : ` on ${term}`}${cancel}`
}

const UNKNOWN_RENEWAL = 'Next renewal unknown: no contract terms sent, none inferable from invoices'

/** The renewal features, in vector order (appended to the base features). */
export const RENEWAL_FEATURES: readonly FeatureDefinition[] = [
  {
    name: 'renewal_known',
    description: 'the next renewal date is known (sent as currentPeriodEnd, or inferred from the interval and the last paid period)',
    unit: 'flag',
    heavyTailed: false,
    compute: (f) => (f.contract.currentPeriodEnd === null ? 0 : 1),
    sentence: ({ value, otherValue }) => {
      if (!isSet(value)) return UNKNOWN_RENEWAL
      const days = otherValue('days_to_renewal')
      return days === undefined ? 'Next renewal date known' : renewalSentence(days, otherValue)
    },
  },
  {
    name: 'days_to_renewal',
    description: `days until the next renewal (end of the period paid for), at most ${MAX_DAYS_TO_RENEWAL}; ${MAX_DAYS_TO_RENEWAL} when unknown (see renewal_known)`,
    unit: 'days',
    heavyTailed: false,
    compute: (f) => round(Math.min(MAX_DAYS_TO_RENEWAL, daysToRenewal(f) ?? MAX_DAYS_TO_RENEWAL)),
    sentence: ({ value, otherValue }) => (otherValue('renewal_known') === 0 ? UNKNOWN_RENEWAL : renewalSentence(value, otherValue)),
  },
  {
    name: 'contract_interval_months',
    description: 'months per billing period (1 monthly, 12 annual; a week is about 0.23), sent or inferred; 0 when unknown',
    unit: 'months',
    heavyTailed: false,
    compute: intervalMonths,
    sentence: ({ value, otherValue }) => {
      const term = contractTerm(value)
      if (term === undefined) return 'Contract term unknown: no interval sent, none inferable from invoices'
      const days = knownDays(otherValue)
      return `On ${term}${days === undefined ? '' : `, renewing ${whenRenewing(days)}`}`
    },
  },
  {
    name: 'in_notice_window',
    description: `the next renewal is at most ${NOTICE_WINDOW_DAYS} days away, and at most a third of the period (the window in which a customer gives notice)`,
    unit: 'flag',
    heavyTailed: false,
    compute: (f) => (inNoticeWindow(f) ? 1 : 0),
    sentence: ({ value, otherValue }) => {
      const days = knownDays(otherValue)
      const detail = days === undefined ? '' : `: ${renewalSentence(days, otherValue).replace(/^R/, 'r')}`
      return isSet(value) ? `Inside the notice window before renewal${detail}` : `Not inside the notice window before a renewal${detail}`
    },
  },
  {
    name: 'cancel_at_period_end',
    description: 'the billing system says the subscription will not renew at the period end (cancelAtPeriodEnd, auto-renew off)',
    unit: 'flag',
    heavyTailed: false,
    compute: (f) => (f.contract.cancelAtPeriodEnd ? 1 : 0),
    sentence: ({ value, otherValue }) => {
      if (!isSet(value)) return 'Set to renew at the period end'
      const days = knownDays(otherValue)
      return `Cancellation scheduled at the period end${days === undefined ? '' : `, ${whenRenewing(days)}`} (auto-renew off)`
    },
  },
  {
    name: 'renewals_survived',
    description: 'billing periods renewed by a paid invoice since the subscription (re)started',
    unit: 'count',
    heavyTailed: true,
    compute: (f) => f.contract.renewalsSurvived,
    sentence: ({ value, otherValue }) => {
      const term = contractTerm(otherValue('contract_interval_months'))
      if (value === 0) return `Not renewed yet: still in its first term${term === undefined ? '' : ` of ${term}`}`
      return `Renewed ${countOf(value, 'time')}${term === undefined ? '' : ` on ${term}`}`
    },
  },
  {
    name: 'price_change_at_last_renewal',
    description: 'relative MRR change around the last renewal (14 days before to 7 after): 0.2 = a 20% rise; 0 without a renewal',
    unit: 'ratio',
    heavyTailed: false,
    compute: ({ contract: { mrrBeforeLastRenewal: before, mrrAfterLastRenewal: after } }) =>
      before === null || after === null || before <= 0 ? 0 : round((after - before) / before),
    sentence: ({ value, otherValue }) => {
      if (otherValue('renewals_survived') === 0) return 'No renewal yet, so no price change at one'
      if (value === 0) return 'Price unchanged at the last renewal'
      return `Price ${value < 0 ? 'fell' : 'rose'} ${formatPercent(Math.abs(value))} at the last renewal`
    },
  },
  {
    name: 'usage_vs_usual_before_renewal',
    description: `inside the notice window: usage in the last 14 days against the customer's own 14-day baseline, (recent + 1) / (usual + 1), at most ${MAX_USAGE_VS_USUAL}; 1 (as usual) outside it`,
    unit: 'ratio',
    heavyTailed: false,
    compute: (f) => (inNoticeWindow(f) ? round(Math.min(MAX_USAGE_VS_USUAL, (f.usage.events14d + 1) / (baselineEvents14d(f) + 1))) : 1),
    sentence: ({ value, otherValue }) => {
      if (otherValue('in_notice_window') === 0) return 'Not inside the notice window before a renewal, where usage against usual is weighed'
      const days = knownDays(otherValue)
      const when = days === undefined ? 'ahead of the renewal' : `with the renewal due ${whenRenewing(days)}`
      return `Usage in the last 14 days is ${formatPercent(value)} of usual, ${when}`
    },
  },
]
