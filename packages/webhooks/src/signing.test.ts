import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateSecret, secretKey, signWebhook, verifyWebhook, webhookHeaders } from './signing.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const NOW = new Date('2026-03-01T12:00:00Z')
const NOW_SEC = Math.floor(NOW.getTime() / 1000)
const BODY = JSON.stringify({ type: 'risk_high', timestamp: '2026-03-01T11:59:00.000Z', data: { customerId: 'acme', probability: 0.81 } })

// The reference library reads the wall clock: pin it so the tests hold no real time.
function withReferenceClock(at: Date): void {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(at)
}
afterEach(() => {
  vi.useRealTimers()
})

describe('Standard Webhooks signatures', () => {
  it('matches the published test vector', () => {
    const signature = signWebhook({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      secret: SECRET,
    })
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('produces headers the reference standardwebhooks library verifies', () => {
    const secret = generateSecret()
    const headers = webhookHeaders({ id: 'msg_abc', timestamp: NOW_SEC, body: BODY, secret })
    withReferenceClock(NOW)
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY))
  })

  it('verifies a signature made by the reference library', () => {
    const secret = generateSecret()
    const signature = new Webhook(secret).sign('msg_ref', NOW, BODY)
    const headers = { 'webhook-id': 'msg_ref', 'webhook-timestamp': String(NOW_SEC), 'webhook-signature': signature }
    expect(verifyWebhook(headers, BODY, secret, { now: NOW })).toEqual({ ok: true, id: 'msg_ref', timestamp: NOW_SEC })
  })

  it('signs bytes and the equivalent string identically', () => {
    const input = { id: 'msg_1', timestamp: NOW_SEC, secret: SECRET }
    expect(signWebhook({ ...input, body: new TextEncoder().encode(BODY) })).toBe(signWebhook({ ...input, body: BODY }))
  })

  it.each([
    ['a changed body', { body: BODY.replace('0.81', '0.18') }, 'no_matching_signature'],
    ['a changed timestamp', { timestamp: String(NOW_SEC + 1) }, 'no_matching_signature'],
    ['a changed id', { id: 'msg_other' }, 'no_matching_signature'],
    ['another secret', { secret: generateSecret() }, 'no_matching_signature'],
  ] as const)('rejects %s, as the reference library does', (_what, change, reason) => {
    const headers = webhookHeaders({ id: 'msg_1', timestamp: NOW_SEC, body: BODY, secret: SECRET })
    const received = {
      ...headers,
      ...('id' in change ? { 'webhook-id': change.id } : {}),
      ...('timestamp' in change ? { 'webhook-timestamp': change.timestamp } : {}),
    }
    const body = 'body' in change ? change.body : BODY
    const secret = 'secret' in change ? change.secret : SECRET
    expect(verifyWebhook(received, body, secret, { now: NOW })).toEqual({ ok: false, reason })
    withReferenceClock(NOW)
    expect(() => new Webhook(secret).verify(body, received)).toThrow(/No matching signature/)
  })

  it.each([
    ['older than the tolerance', NOW_SEC - 301, 'timestamp_too_old'],
    ['newer than the tolerance', NOW_SEC + 301, 'timestamp_too_new'],
  ] as const)('rejects a correctly signed message with a timestamp %s', (_what, timestamp, reason) => {
    const headers = webhookHeaders({ id: 'msg_1', timestamp, body: BODY, secret: SECRET })
    expect(verifyWebhook(headers, BODY, SECRET, { now: NOW })).toEqual({ ok: false, reason })
    expect(verifyWebhook(headers, BODY, SECRET, { now: NOW, toleranceSec: 400 }).ok).toBe(true)
  })

  it('accepts any one matching v1 signature among several and ignores other versions', () => {
    const headers = webhookHeaders({ id: 'msg_1', timestamp: NOW_SEC, body: BODY, secret: SECRET })
    const rotated = signWebhook({ id: 'msg_1', timestamp: NOW_SEC, body: BODY, secret: generateSecret() })
    const signature = `v1a,${headers['webhook-signature'].slice(3)} ${rotated} ${headers['webhook-signature']}`
    expect(verifyWebhook({ ...headers, 'webhook-signature': signature }, BODY, SECRET, { now: NOW }).ok).toBe(true)
    const onlyOthers = `v1a,${headers['webhook-signature'].slice(3)} ${rotated} v1,not-base64!`
    expect(verifyWebhook({ ...headers, 'webhook-signature': onlyOthers }, BODY, SECRET, { now: NOW })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    })
  })

  it('reads headers case-insensitively from a record or a fetch Headers object', () => {
    const headers = webhookHeaders({ id: 'msg_1', timestamp: NOW_SEC, body: BODY, secret: SECRET })
    const shouted = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]))
    expect(verifyWebhook(shouted, BODY, SECRET, { now: NOW }).ok).toBe(true)
    expect(verifyWebhook(new Headers(headers), BODY, SECRET, { now: NOW }).ok).toBe(true)
  })

  it.each([
    ['no headers', {}, 'missing_headers'],
    ['a non-numeric timestamp', { 'webhook-id': 'msg_1', 'webhook-timestamp': '12abc', 'webhook-signature': 'v1,x' }, 'invalid_timestamp'],
  ] as const)('rejects %s', (_what, headers, reason) => {
    expect(verifyWebhook(headers, BODY, SECRET, { now: NOW })).toEqual({ ok: false, reason })
  })

  it('generates distinct whsec_ secrets of 32 random bytes', () => {
    const a = generateSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(secretKey(a)).toHaveLength(32)
    expect(generateSecret()).not.toBe(a)
  })

  it.each([
    ['without the whsec_ prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['that is not base64', 'whsec_not*base64*at*all*not*base64*'],
    ['shorter than 24 bytes', `whsec_${Buffer.alloc(16).toString('base64')}`],
  ])('refuses a secret %s with CW_WEBHOOKS_INVALID_SECRET', (_what, secret) => {
    expect(() => signWebhook({ id: 'msg_1', timestamp: NOW_SEC, body: BODY, secret })).toThrow(
      expect.objectContaining({ code: 'CW_WEBHOOKS_INVALID_SECRET' }),
    )
  })
})
