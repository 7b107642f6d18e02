import { seededRandom } from './random.js'

/** The broker's default message.max.bytes (input topics keep it): the largest record batch accepted. */
export const BROKER_MAX_MESSAGE_BYTES = 1_048_588

export interface BadMessage {
  topic: 'usage' | 'billing' | 'accounts'
  /** Unique per message (`bad-<n>`): finds its dead letter, whatever partition it landed on. */
  key: string
  value: Buffer | null
  /** The issue path the dead letter must name ('' = the whole message). */
  path: string
  why: string
}

type Sample = { topic: 'usage' | 'billing' | 'accounts'; value: Buffer | string | object | null; path: string; why: string }

const usage = (n: number, overrides: Record<string, unknown> = {}) => ({
  eventId: `bad-u-${n}`,
  customerId: 'bad-customer',
  occurredAt: '2026-02-01T12:00:00Z',
  kind: 'usage',
  action: 'login',
  quantity: 1,
  userId: 'bad-user',
  ...overrides,
})

const billing = (n: number, overrides: Record<string, unknown> = {}) => ({
  eventId: `bad-b-${n}`,
  customerId: 'bad-customer',
  occurredAt: '2026-02-01T00:00:00Z',
  kind: 'billing',
  type: 'subscription_started',
  mrr: 4900,
  currency: 'USD',
  plan: 'pro',
  ...overrides,
})

const account = (n: number, overrides: Record<string, unknown> = {}) => ({
  eventId: `bad-a-${n}`,
  customerId: 'bad-customer',
  occurredAt: '2026-02-01T00:00:00Z',
  kind: 'account',
  segment: 'smb',
  ...overrides,
})

const without = (event: Record<string, unknown>, field: string) => Object.fromEntries(Object.entries(event).filter(([k]) => k !== field))

/**
 * Every class of malformed input, each a function of n so that no two messages are identical.
 * Each names the path its issue must carry; all use customer `bad-customer`, so one that slipped
 * through would show up in the state.
 */
const CLASSES: Array<(n: number, random: () => number) => Sample> = [
  (n) => ({ topic: 'usage', value: JSON.stringify(usage(n)).slice(0, 20 + (n % 40)), path: '', why: 'invalid JSON (truncated)' }),
  (n) => ({ topic: 'usage', value: `{"eventId": "bad-${n}", 'single': quotes}`, path: '', why: 'invalid JSON (syntax)' }),
  (n, random) => ({ topic: n % 2 ? 'usage' : 'billing', value: Buffer.from([0xff, 0xfe, ...Array.from({ length: 8 + (n % 200) }, () => Math.floor(random() * 256))]), path: '', why: 'binary garbage' }),
  (n) => ({ topic: n % 2 ? 'usage' : 'billing', value: null, path: '', why: 'null value' }),
  (_n) => ({ topic: 'usage', value: '', path: '', why: 'empty value' }),
  (n) => ({ topic: 'usage', value: JSON.stringify([usage(n)]), path: '', why: 'a JSON array' }),
  (n) => ({ topic: 'billing', value: String(n), path: '', why: 'a JSON number' }),
  (n) => ({ topic: 'usage', value: usage(n, { quantity: 'two' }), path: 'quantity', why: 'quantity as a string' }),
  (n) => ({ topic: 'usage', value: usage(n, { customerId: n }), path: 'customerId', why: 'customerId as a number' }),
  (n) => ({ topic: 'usage', value: usage(n, { occurredAt: Date.parse('2026-02-01T00:00:00Z') + n }), path: 'occurredAt', why: 'occurredAt as epoch ms' }),
  (n) => ({ topic: 'billing', value: billing(n, { mrr: '4900' }), path: 'mrr', why: 'mrr as a string' }),
  (n) => ({ topic: 'billing', value: billing(n, { voluntary: 'yes', type: 'subscription_ended' }), path: 'voluntary', why: 'voluntary as a string' }),
  (n) => ({ topic: 'usage', value: without(usage(n), 'customerId'), path: 'customerId', why: 'missing customerId' }),
  (n) => ({ topic: 'usage', value: without(usage(n), 'eventId'), path: 'eventId', why: 'missing eventId' }),
  (n) => ({ topic: 'usage', value: without(usage(n), 'occurredAt'), path: 'occurredAt', why: 'missing occurredAt' }),
  (n) => ({ topic: 'usage', value: without(usage(n), 'action'), path: 'action', why: 'missing action' }),
  (n) => ({ topic: 'billing', value: without(billing(n), 'mrr'), path: 'mrr', why: 'subscription_started without mrr' }),
  (n) => ({ topic: 'usage', value: usage(n, { kind: 'telemetry' }), path: 'kind', why: 'unknown kind' }),
  (n) => ({ topic: 'billing', value: billing(n, { type: 'subscription_paused' }), path: 'type', why: 'unknown billing type' }),
  (n) => ({ topic: 'usage', value: billing(n), path: 'kind', why: 'a billing event on the usage topic' }),
  (n) => ({ topic: 'usage', value: usage(n, { occurredAt: '2026-02-01T12:00:00' }), path: 'occurredAt', why: 'zone-less date' }),
  (n) => ({ topic: 'billing', value: billing(n, { occurredAt: '2026-02-01' }), path: 'occurredAt', why: 'date without a time' }),
  (n) => ({ topic: 'usage', value: usage(n, { occurredAt: '2026-02-30T10:00:00Z' }), path: 'occurredAt', why: 'impossible date' }),
  (n) => ({ topic: 'usage', value: usage(n, { occurredAt: 'yesterday' }), path: 'occurredAt', why: 'not a date' }),
  (n) => ({ topic: 'usage', value: usage(n, { quantity: -1 - (n % 5) }), path: 'quantity', why: 'negative quantity' }),
  (n) => ({ topic: 'billing', value: billing(n, { mrr: -100 }), path: 'mrr', why: 'negative mrr' }),
  (n) => ({ topic: 'usage', value: usage(n, { eventId: `e${n}-`.padEnd(129 + (n % 100), 'x') }), path: 'eventId', why: 'eventId over 128 chars' }),
  (n) => ({ topic: 'billing', value: billing(n, { customerId: `c${n}-`.padEnd(129 + (n % 300), 'y') }), path: 'customerId', why: 'customerId over 128 chars' }),
  (n) => ({ topic: 'usage', value: usage(n, { action: 'a'.repeat(65) }), path: 'action', why: 'action over 64 chars' }),
  (n) => ({ topic: 'usage', value: usage(n, { customerId: null }), path: 'customerId', why: 'null customerId' }),
  (n) => ({ topic: 'usage', value: usage(n, { quantity: null }), path: 'quantity', why: 'null quantity' }),
  (n) => ({ topic: 'billing', value: billing(n, { type: null }), path: 'type', why: 'null billing type' }),
  (n) => ({ topic: 'billing', value: billing(n, { type: 'invoice_paid', currentPeriodEnd: '2027-02-01' }), path: 'currentPeriodEnd', why: 'period end without a time' }),
  (n) => ({ topic: 'billing', value: billing(n, { intervalCount: 0 }), path: 'intervalCount', why: 'intervalCount 0' }),
  (n) => ({ topic: 'accounts', value: account(n, { employees: 'many' }), path: 'employees', why: 'employees as a string' }),
  (n) => ({ topic: 'accounts', value: account(n, { attributes: { vip: true } }), path: 'attributes.vip', why: 'boolean attribute' }),
  (n) => ({ topic: 'accounts', value: usage(n), path: 'kind', why: 'usage event on the accounts topic' }),
]

/**
 * `count` small malformed messages, classes drawn at random (seeded), plus `large` oversized ones
 * from 70 KB (over the 64 KiB event limit) up to the largest record the input topics accept.
 * The large ones must be produced one per request: a batch holding one would exceed the limit.
 */
export function generateBadInput(options: { count: number; large: number; seed: number }): { small: BadMessage[]; large: BadMessage[] } {
  const random = seededRandom(options.seed)
  const small: BadMessage[] = []
  for (let n = 0; n < options.count - options.large; n += 1) {
    const make = CLASSES[n < CLASSES.length ? n : Math.floor(random() * CLASSES.length)]
    if (!make) continue
    small.push(toBad(make(n, random), `bad-${n}`))
  }
  const large: BadMessage[] = []
  for (let i = 0; i < options.large; i += 1) {
    // The last is ~1 MB: the broker's limit less room for the batch and record headers and the key.
    const bytes = i === options.large - 1 ? BROKER_MAX_MESSAGE_BYTES - 200 : 70_000 + Math.floor(random() * 900_000)
    const skeleton = JSON.stringify(usage(i, { properties: { blob: '' } }))
    const value = skeleton.replace('"blob":""', `"blob":"${'z'.repeat(bytes - skeleton.length)}"`)
    large.push(toBad({ topic: 'usage', value, path: '', why: `${bytes}-byte payload` }, `bad-large-${i}`))
  }
  return { small, large }
}

function toBad(sample: Sample, key: string): BadMessage {
  const value =
    sample.value === null || Buffer.isBuffer(sample.value)
      ? sample.value
      : Buffer.from(typeof sample.value === 'string' ? sample.value : JSON.stringify(sample.value), 'utf8')
  return { topic: sample.topic, key, value, path: sample.path, why: sample.why }
}
