import { RISK_BANDS } from '@churnwatch/contract'
import type { CustomerFilters } from '@churnwatch/storage'
import { z } from 'zod'
import { enumListSchema } from './schemas.js'

// The customer filters shared by GET /v1/customers (JSON and CSV) and GET /v1/alerts (ADR 0015).
// Bands are a closed set: an unknown band is a 400. Segments, plans, owners and customer ids are
// open text from events: a value that matches nobody is a valid, empty answer, not an error.

const MAX_VALUES = 100
export const MAX_RENEWAL_WITHIN_DAYS = 730
const DAY_MS = 86_400_000

/** A comma-separated list (or a repeated parameter) of 1 to 100 free-text values of 1-128 characters. */
export function textListSchema(name: string, what: string) {
  const message = `${name} must be 1 to ${MAX_VALUES} comma-separated values of 1-128 characters`
  return z
    .preprocess(
      (v: unknown) => (typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v.flatMap((x: unknown) => (typeof x === 'string' ? x.split(',') : [x])) : v),
      z
        .array(z.string({ error: message }).min(1, message).max(128, message), { error: message })
        .min(1, message)
        .max(MAX_VALUES, message),
    )
    .optional()
    .describe(`Only ${what} (any of the values, comma-separated; exact match). A value nobody has gives an empty list`)
}

const renewalMessage = `renewalWithinDays must be an integer from 0 to ${MAX_RENEWAL_WITHIN_DAYS}`

export const customerFilterQuery = {
  segment: textListSchema('segment', 'customers in these segments (account events)'),
  plan: textListSchema('plan', 'customers on these plans'),
  ownerId: textListSchema('ownerId', 'customers owned by these account owners (account events)'),
  band: enumListSchema(RISK_BANDS, 'band'),
  renewalWithinDays: z.coerce
    .number({ error: renewalMessage })
    .int({ error: renewalMessage })
    .min(0, renewalMessage)
    .max(MAX_RENEWAL_WITHIN_DAYS, renewalMessage)
    .optional()
    .describe('Only customers whose next renewal (as of their score) falls between now and now + this many days; unknown renewals never match'),
}

export interface CustomerFilterParams {
  segment?: string[] | undefined
  plan?: string[] | undefined
  ownerId?: string[] | undefined
  band?: Array<(typeof RISK_BANDS)[number]> | undefined
  renewalWithinDays?: number | undefined
}

/** The storage filters of the parsed parameters; `now` anchors renewalWithinDays. */
export function toCustomerFilters(params: CustomerFilterParams, now: Date): CustomerFilters {
  return {
    ...(params.segment ? { segments: unique(params.segment) } : {}),
    ...(params.plan ? { plans: unique(params.plan) } : {}),
    ...(params.ownerId ? { ownerIds: unique(params.ownerId) } : {}),
    ...(params.band ? { bands: unique(params.band) } : {}),
    ...(params.renewalWithinDays !== undefined
      ? { renewalBetween: { from: now.toISOString(), to: new Date(now.getTime() + params.renewalWithinDays * DAY_MS).toISOString() } }
      : {}),
  }
}

/** The filters as they bind a cursor: order and repeats do not matter. */
export function filterFingerprintParts(params: CustomerFilterParams): Record<string, unknown> {
  const list = (values: readonly string[] | undefined) => (values ? unique(values).sort().join('\u0000') : undefined)
  return {
    segment: list(params.segment),
    plan: list(params.plan),
    ownerId: list(params.ownerId),
    band: list(params.band),
    renewalWithinDays: params.renewalWithinDays,
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)]
}
