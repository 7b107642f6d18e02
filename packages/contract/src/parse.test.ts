import { describe, expect, it } from 'vitest'
import { designBillingEvent, designUsageEvent } from '../test/examples.js'
import { formatIssues, MAX_EVENT_BYTES, parseEvent, parseEventForTopic, parseFeaturesChanged, type ParseEventResult } from './parse.js'
import { TOPICS } from './topics.js'

const encode = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

/** A valid usage event whose JSON encoding is exactly `bytes` long. */
function usageEventOfSize(bytes: number): Buffer {
  const empty = encode({ ...designUsageEvent, properties: { padding: '' } })
  return encode({ ...designUsageEvent, properties: { padding: 'x'.repeat(bytes - empty.byteLength) } })
}

type MessageCase = { name: string; value: Uint8Array | string | null | undefined; message: RegExp }

const unreadableMessages: MessageCase[] = [
  { name: 'a null value (tombstone)', value: null, message: /^empty message: expected a JSON event$/ },
  { name: 'an undefined value', value: undefined, message: /^empty message/ },
  { name: 'an empty buffer', value: Buffer.alloc(0), message: /^empty message/ },
  { name: 'an empty string', value: '', message: /^empty message/ },
  { name: 'truncated JSON', value: '{"eventId": "u-1"', message: /^invalid JSON: / },
  { name: 'plain text', value: 'hello', message: /^invalid JSON: / },
  { name: 'whitespace only', value: Buffer.from('   \n'), message: /^invalid JSON: / },
  { name: 'binary garbage (invalid UTF-8)', value: new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0x00]), message: /^invalid UTF-8: / },
  { name: 'a JSON array', value: encode([designUsageEvent]), message: /^must be a JSON object, got an array$/ },
  { name: 'a JSON number', value: '42', message: /^must be a JSON object, got a number$/ },
  { name: 'JSON null', value: 'null', message: /^must be a JSON object, got null$/ },
  { name: 'a JSON string', value: '"usage"', message: /^must be a JSON object, got a string$/ },
  { name: 'a JSON boolean', value: 'true', message: /^must be a JSON object, got a boolean$/ },
  {
    name: 'a payload one byte over MAX_EVENT_BYTES',
    value: usageEventOfSize(MAX_EVENT_BYTES + 1),
    message: /^message is 65537 bytes; the limit is 65536 bytes/,
  },
  {
    name: 'an oversize string payload, counted in UTF-8 bytes',
    value: JSON.stringify({ ...designUsageEvent, properties: { padding: 'é'.repeat(MAX_EVENT_BYTES / 2) } }),
    message: /the limit is 65536 bytes/,
  },
  {
    name: 'oversize invalid JSON (rejected for size before parsing)',
    value: Buffer.alloc(MAX_EVENT_BYTES + 10, 0x7b),
    message: /^message is 65546 bytes/,
  },
]

describe('parseEvent on unreadable messages', () => {
  it.each(unreadableMessages)('rejects $name with one issue on the whole message', ({ value, message }) => {
    expect(parseEvent(value)).toEqual({ ok: false, issues: [{ path: '', message: expect.stringMatching(message) }] })
  })

  it('accepts a payload of exactly MAX_EVENT_BYTES', () => {
    const value = usageEventOfSize(MAX_EVENT_BYTES)
    expect(value.byteLength).toBe(MAX_EVENT_BYTES)
    expect(parseEvent(value).ok).toBe(true)
  })

  it('reads UTF-8 multi-byte text and a UTF-8 byte-order mark', () => {
    const event = { ...designUsageEvent, action: 'exporté_报告' }
    expect(parseEvent(encode(event))).toEqual({ ok: true, event })
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), encode(event)])
    expect(parseEvent(withBom)).toEqual({ ok: true, event })
  })

  it('accepts the same event as a Buffer, a plain Uint8Array and a string', () => {
    const expected = { ok: true, event: designUsageEvent }
    const text = JSON.stringify(designUsageEvent)
    expect(parseEvent(Buffer.from(text))).toEqual(expected)
    expect(parseEvent(new TextEncoder().encode(text))).toEqual(expected)
    expect(parseEvent(text)).toEqual(expected)
  })

  it('rejects a number too large for a double as Infinity on its field', () => {
    const text = JSON.stringify(designUsageEvent).replace('"quantity":1', '"quantity":1e999')
    expect(parseEvent(text)).toEqual({
      ok: false,
      issues: [{ path: 'quantity', message: 'must be a finite number, got Infinity' }],
    })
  })

  it('never throws, whatever the bytes', () => {
    const deeplyNested = `{"properties":${'['.repeat(30_000)}${']'.repeat(30_000)}}`
    const odd: Array<Uint8Array | string> = [
      deeplyNested,
      '\ud800',
      '{"kind":{"toString":1}}',
      '{"kind":"billing","type":{}}',
      new Uint8Array(256).map((_, i) => i),
      '{"__proto__":null}',
    ]
    for (const value of odd) {
      expect(() => parseEvent(value)).not.toThrow()
      expect(() => parseEvent(value, 'billing')).not.toThrow()
    }
  })
})

describe('parseEvent with an expected kind', () => {
  it('rejects a usage event on the billing topic with one issue on kind', () => {
    expect(parseEventForTopic(TOPICS.billing, encode(designUsageEvent))).toEqual({
      ok: false,
      issues: [{ path: 'kind', message: 'must be "billing" on this topic, got "usage"' }],
    })
  })

  it('rejects a billing event on the usage topic with one issue on kind', () => {
    expect(parseEvent(encode(designBillingEvent), 'usage')).toEqual({
      ok: false,
      issues: [{ path: 'kind', message: 'must be "usage" on this topic, got "billing"' }],
    })
  })

  it('reports an unknown kind on a topic against that topic\'s kind', () => {
    expect(parseEventForTopic(TOPICS.usage, encode({ ...designUsageEvent, kind: 'refund' }))).toEqual({
      ok: false,
      issues: [{ path: 'kind', message: 'must be "usage"' }],
    })
  })

  it('accepts each event on its own topic and types the result by kind', () => {
    const usage = parseEventForTopic(TOPICS.usage, encode(designUsageEvent))
    expect(usage).toEqual({ ok: true, event: designUsageEvent })
    const billing = parseEvent(encode(designBillingEvent), 'billing')
    // Typed as BillingEvent: `type` is only reachable because the kind is known.
    expect(billing.ok && billing.event.type).toBe('subscription_started')
  })

  it('rejects messages from a topic that carries no input events', () => {
    expect(parseEventForTopic(TOPICS.alerts, encode(designUsageEvent))).toEqual({
      ok: false,
      issues: [{ path: '', message: expect.stringMatching(/topic "churn.alerts.v1" carries no input events/) }],
    })
  })
})

describe('formatIssues', () => {
  it('joins issues as "path: message", leaving the path out for the whole message', () => {
    const result: ParseEventResult = {
      ok: false,
      issues: [
        { path: '', message: 'invalid JSON: x' },
        { path: 'occurredAt', message: 'must be ISO-8601 with a time zone' },
      ],
    }
    expect(result.ok ? '' : formatIssues(result.issues)).toBe('invalid JSON: x; occurredAt: must be ISO-8601 with a time zone')
  })
})

describe('parseFeaturesChanged', () => {
  it('accepts an announcement and rejects one without customerId, with the path', () => {
    const good = { eventId: 'fc-1', customerId: 'acme', eventCount: 2, maxOccurredAt: '2026-03-01T00:00:00Z', changedAt: '2026-03-01T00:00:01Z' }
    expect(parseFeaturesChanged(JSON.stringify(good))).toEqual({ ok: true, event: good })
    const bad = parseFeaturesChanged(JSON.stringify({ ...good, customerId: undefined }))
    expect(bad.ok).toBe(false)
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual(['customerId'])
    expect(parseFeaturesChanged('{').ok).toBe(false)
  })
})

describe('parseEvent on values PostgreSQL could never store', () => {
  const cases: Array<{ name: string; text: string; path: string; message: RegExp }> = [
    {
      name: 'U+0000 escaped in a field',
      text: JSON.stringify({ ...designUsageEvent, userId: 'a\u0000b' }),
      path: 'userId',
      message: /U\+0000/,
    },
    {
      name: 'U+0000 in a property key',
      text: JSON.stringify({ ...designUsageEvent, properties: { 'k\u0000': 1 } }),
      path: 'properties.k\u0000',
      message: /U\+0000/,
    },
    {
      name: 'a lone high surrogate',
      text: `{"eventId":"u-\\ud800","customerId":"acme","occurredAt":"2026-03-01T10:00:00Z","kind":"usage","action":"login"}`,
      path: 'eventId',
      message: /unpaired surrogate/,
    },
    {
      name: 'a lone low surrogate in properties',
      text: JSON.stringify({ ...designUsageEvent, properties: { note: '\udc00x' } }),
      path: 'properties.note',
      message: /unpaired surrogate/,
    },
    {
      name: 'properties nested 40 levels deep (re-serialising deeper ones overflows the stack)',
      text: JSON.stringify({ ...designUsageEvent, properties: { deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown } }),
      path: 'properties.deep.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0',
      message: /deeper than 32 levels/,
    },
  ]
  it.each(cases)('rejects $name, naming where', ({ text, path, message }) => {
    expect(parseEvent(text)).toEqual({ ok: false, issues: [{ path, message: expect.stringMatching(message) }] })
  })

  it('accepts escaped text that is fine: a surrogate pair, other control characters, 30 levels of nesting', () => {
    const event = { ...designUsageEvent, userId: 'emoji-\ud83d\ude00-tab\t', properties: { deep: JSON.parse('['.repeat(29) + ']'.repeat(29)) as unknown } }
    expect(parseEvent(JSON.stringify(event))).toEqual({ ok: true, event })
  })
})
