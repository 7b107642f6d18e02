import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import {
  exampleAlertEvent,
  exampleDeadLetterEvent,
  exampleFeaturesChangedEvent,
  exampleRiskScoreEvent,
} from '../test/examples.js'
import {
  alertEventSchema,
  deadLetterEventSchema,
  featuresChangedEventSchema,
  riskScoreEventSchema,
} from './outputs.js'
import { toValidationIssues } from './parse.js'

const roundTrips: Array<{ name: string; schema: z.ZodType; example: object }> = [
  { name: 'risk score', schema: riskScoreEventSchema, example: exampleRiskScoreEvent },
  { name: 'alert', schema: alertEventSchema, example: exampleAlertEvent },
  { name: 'features-changed', schema: featuresChangedEventSchema, example: exampleFeaturesChangedEvent },
  { name: 'dead-letter', schema: deadLetterEventSchema, example: exampleDeadLetterEvent },
]

describe('output events', () => {
  it.each(roundTrips)('round-trips a valid $name event through JSON unchanged', ({ schema, example }) => {
    expect(schema.parse(JSON.parse(JSON.stringify(example)))).toEqual(example)
  })

  it('accepts a dead letter of a null message value', () => {
    const tombstone = { ...exampleDeadLetterEvent, key: null, originalBase64: null }
    expect(deadLetterEventSchema.parse(tombstone)).toEqual(tombstone)
  })

  type InvalidCase = { name: string; schema: z.ZodType; value: object; path: string; message: RegExp }
  const invalid: InvalidCase[] = [
    { name: 'probability above 1', schema: riskScoreEventSchema, value: { ...exampleRiskScoreEvent, probability: 1.2 }, path: 'probability', message: /between 0 and 1/ },
    { name: 'unknown band', schema: riskScoreEventSchema, value: { ...exampleRiskScoreEvent, band: 'severe' }, path: 'band', message: /.+/ },
    { name: 'zone-less asOf', schema: riskScoreEventSchema, value: { ...exampleRiskScoreEvent, asOf: '2026-03-22T00:00:00' }, path: 'asOf', message: /time zone/ },
    { name: 'driver value that is an object', schema: riskScoreEventSchema, value: { ...exampleRiskScoreEvent, drivers: [{ feature: 'f', value: {}, contribution: 0, sentence: 's' }] }, path: 'drivers.0.value', message: /.+/ },
    { name: 'fractional revenueAtRisk', schema: alertEventSchema, value: { ...exampleAlertEvent, revenueAtRisk: 49.5 }, path: 'revenueAtRisk', message: /integer in minor units/ },
    { name: 'unknown alert status', schema: alertEventSchema, value: { ...exampleAlertEvent, status: 'closed' }, path: 'status', message: /.+/ },
    { name: 'zero eventCount', schema: featuresChangedEventSchema, value: { ...exampleFeaturesChangedEvent, eventCount: 0 }, path: 'eventCount', message: /.+/ },
    { name: 'numeric offset', schema: deadLetterEventSchema, value: { ...exampleDeadLetterEvent, offset: 12 }, path: 'offset', message: /.+/ },
    { name: 'negative offset', schema: deadLetterEventSchema, value: { ...exampleDeadLetterEvent, offset: '-1' }, path: 'offset', message: /decimal string/ },
    { name: 'bytes that are not base64', schema: deadLetterEventSchema, value: { ...exampleDeadLetterEvent, originalBase64: '{not base64}' }, path: 'originalBase64', message: /.+/ },
    { name: 'error code outside CW_*', schema: deadLetterEventSchema, value: { ...exampleDeadLetterEvent, error: { ...exampleDeadLetterEvent.error, code: 'E_BAD' } }, path: 'error.code', message: /.+/ },
  ]

  it.each(invalid)('rejects $name on $path', ({ schema, value, path, message }) => {
    const result = schema.safeParse(value)
    expect(result.success).toBe(false)
    if (!result.success) {
      expect(toValidationIssues(result.error)).toEqual([{ path, message: expect.stringMatching(message) }])
    }
  })
})
