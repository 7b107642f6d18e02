import { z } from 'zod'

// Field schemas shared by input and output events. Each carries its own messages so that
// every consumer of the schemas (parseEvent, the API) reports the same reason for a failure.

type IssueInput = { input?: unknown }

/** Describes a JSON value for an error message: "a string", "null", "an array", "Infinity". */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : String(value)
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'boolean') return 'a boolean'
  return typeof value
}

/** Message for a wrong type: "is required" when absent, otherwise what was expected and got. */
export function typeMessage(expected: string): (issue: IssueInput) => string {
  return (issue) =>
    issue.input === undefined ? 'is required' : `must be ${expected}, got ${describeValue(issue.input)}`
}

/** A string of `min`-`max` UTF-16 characters. */
export function textSchema(min: number, max: number) {
  const lengthMessage = (issue: IssueInput): string =>
    `must be ${min}-${max} characters, got ${typeof issue.input === 'string' ? issue.input.length : '?'}`
  return z
    .string({ error: typeMessage('a string') })
    .min(min, { error: lengthMessage })
    .max(max, { error: lengthMessage })
}

/** ISO-8601 date-time with a zone (`Z` or `±hh:mm`), kept as the string that was sent. */
export const isoDateTimeSchema = z.iso.datetime({
  offset: true,
  error: (issue) =>
    issue.input === undefined
      ? 'is required'
      : 'must be ISO-8601 with a time zone, e.g. 2026-03-01T12:00:00Z or 2026-03-01T13:00:00+01:00',
})

export const eventIdSchema = textSchema(1, 128).describe('Unique per event; a repeated eventId is a duplicate')

export const customerIdSchema = textSchema(1, 128).describe('The paying account; also the Kafka message key')

/** Money as a non-negative integer in minor units (cents). */
export const minorUnitsSchema = z
  .int({ error: typeMessage('an integer in minor units (e.g. cents)') })
  .min(0, 'must be >= 0')

export const currencySchema = z
  .string({ error: typeMessage('an ISO 4217 code') })
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code of 3 uppercase letters, e.g. USD')
  .describe('ISO 4217 currency of mrr and amount')

export const probabilitySchema = z
  .number({ error: typeMessage('a number') })
  .min(0, 'must be a probability between 0 and 1')
  .max(1, 'must be a probability between 0 and 1')
