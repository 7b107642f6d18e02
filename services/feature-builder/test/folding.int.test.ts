import type { ChurnEvent, DeadLetterEvent, FeaturesChangedEvent } from '@churnwatch/contract'
import { computeFeatures } from '@churnwatch/features'
import { readCustomerHistories } from '@churnwatch/storage'
import { buildBillingEvent, buildUsageEvent, collectMessages, produceMessages, waitFor } from '@churnwatch/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { generateEvents } from './fixtures.js'
import { createWorld, type World } from './harness.js'

describe('feature builder against real Kafka and PostgreSQL', () => {
  const worlds: World[] = []
  const stops: Array<() => Promise<void>> = []
  const world = async (name: string) => {
    const w = await createWorld(name)
    worlds.push(w)
    return w
  }
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    for (const w of worlds.splice(0)) await w.close()
  })

  it('folds usage and billing into daily buckets, customer state and offsets, and announces changed customers', async () => {
    const w = await world('fold')
    const events: ChurnEvent[] = [
      buildBillingEvent({ eventId: 'b1', customerId: 'acme', occurredAt: '2026-03-01T00:00:00Z', mrr: 4900, plan: 'pro' }),
      buildUsageEvent({ eventId: 'u1', customerId: 'acme', occurredAt: '2026-03-02T10:00:00Z', action: 'login', userId: 'a' }),
      buildUsageEvent({ eventId: 'u2', customerId: 'acme', occurredAt: '2026-03-02T11:00:00Z', action: 'login', userId: 'b', quantity: 3 }),
      buildUsageEvent({ eventId: 'u3', customerId: 'acme', occurredAt: '2026-03-02T23:30:00-05:00', action: 'api_call', userId: 'a' }),
      buildUsageEvent({ eventId: 'u4', customerId: 'globex', occurredAt: '2026-03-05T09:00:00Z', action: 'login', userId: 'z' }),
      buildBillingEvent({ eventId: 'b2', customerId: 'acme', occurredAt: '2026-03-20T00:00:00Z', type: 'subscription_canceled', reason: 'too_expensive', voluntary: true }),
    ]
    const announcements = await collectMessages([w.topics.featuresChanged])
    stops.push(announcements.stop)
    await w.start()
    await w.produce(events)
    await w.waitForOffsets(events.length)

    const activity = await w.db.pool.query(
      `SELECT customer_id, to_char(day, 'YYYY-MM-DD') AS day, action, event_count, quantity
       FROM daily_activity ORDER BY customer_id, day, action`,
    )
    expect(activity.rows).toEqual([
      { customer_id: 'acme', day: '2026-03-02', action: 'login', event_count: 2, quantity: 4 },
      { customer_id: 'acme', day: '2026-03-03', action: 'api_call', event_count: 1, quantity: 1 },
      { customer_id: 'globex', day: '2026-03-05', action: 'login', event_count: 1, quantity: 1 },
    ])
    const customers = await w.db.pool.query(
      'SELECT customer_id, status, plan, mrr, usage_events, billing_events FROM customers ORDER BY customer_id',
    )
    expect(customers.rows).toEqual([
      { customer_id: 'acme', status: 'canceling', plan: 'pro', mrr: 4900, usage_events: 3, billing_events: 2 },
      { customer_id: 'globex', status: 'none', plan: null, mrr: 0, usage_events: 1, billing_events: 0 },
    ])
    // What is stored computes the same features as the raw events do.
    const [history] = await readCustomerHistories(w.db.pool, ['acme'])
    if (!history) throw new Error('no history')
    expect(computeFeatures(history, '2026-04-01T00:00:00Z').values).toMatchObject({ events_30d: 3, active_users_30d: 2, cancellation_requested: 1, mrr: 4900 })

    const announced = await waitFor(() => {
      const ids = new Set(announcements.messages.map((m) => (JSON.parse(String(m.value)) as FeaturesChangedEvent).customerId))
      return ids.has('acme') && ids.has('globex') ? ids : undefined
    })
    expect([...announced].sort()).toEqual(['acme', 'globex'])
    expect(announcements.messages.every((m) => m.key === (JSON.parse(String(m.value)) as FeaturesChangedEvent).customerId)).toBe(true)
  })

  it('gives the same state for shuffled, late and duplicated events as for the same events in order', async () => {
    const events = generateEvents(40, 30, 7)
    const inOrder = await world('ordered')
    await inOrder.start()
    await inOrder.produce(events)
    await inOrder.waitForOffsets(events.length)

    const messy = await world('messy')
    await messy.start()
    const shuffled = [...events].reverse()
    const lateHalf = shuffled.filter((_, i) => i % 2 === 0)
    const duplicates = events.slice(0, 100)
    await messy.produce(shuffled.filter((_, i) => i % 2 === 1))
    await messy.produce([...duplicates, ...lateHalf, ...duplicates])
    await messy.waitForOffsets(events.length + 200)

    expect(await messy.digest()).toBe(await inOrder.digest())
    const { rows } = await messy.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
    expect(rows[0]?.n).toBe(events.length)
  })

  it('dead-letters every class of bad input with its issues and keeps folding the good events around it', async () => {
    const w = await world('dlq')
    const dead = await collectMessages([w.topics.deadLetter])
    stops.push(dead.stop)
    const { registry } = await w.start()
    const good = (n: number) => buildUsageEvent({ eventId: `good-${n}`, customerId: `c${n % 3}` })
    const bad: Array<{ key: string | null; value: Buffer | string | object | null; why: string }> = [
      { key: 'c1', value: '{"eventId": "x", ', why: 'invalid JSON' },
      { key: 'c1', value: Buffer.from([0xff, 0xfe, 0x00, 0x81]), why: 'binary garbage' },
      { key: 'c1', value: null, why: 'null value' },
      { key: 'c1', value: { ...good(100), customerId: undefined }, why: 'customerId' },
      { key: 'c1', value: { ...good(101), quantity: 'two' }, why: 'quantity' },
      { key: 'c1', value: { ...good(102), quantity: -1 }, why: 'quantity' },
      { key: 'c1', value: { ...good(103), occurredAt: '2026-03-01T12:00:00' }, why: 'occurredAt' },
      { key: 'c1', value: { ...good(104), eventId: 'e'.repeat(129) }, why: 'eventId' },
      { key: 'c1', value: { ...good(105), kind: 'telemetry' }, why: 'kind' },
      { key: 'c1', value: buildBillingEvent({ eventId: 'wrong-topic' }), why: 'kind' },
      { key: 'c1', value: JSON.stringify({ ...good(106), properties: { blob: 'x'.repeat(70_000) } }), why: 'too large' },
    ]
    const messages = [...bad.map(({ key, value }) => ({ key, value }))]
    for (let i = 0; i < 30; i += 1) messages.splice(i % (messages.length + 1), 0, { key: `c${i % 3}`, value: good(i) })
    await produceMessages(w.topics.usage, messages)
    const badBilling = { key: 'c2', value: buildBillingEvent({ eventId: 'no-mrr', mrr: undefined }) }
    await produceMessages(w.topics.billing, [badBilling])

    await w.waitForOffsets(messages.length + 1)
    const letters = await waitFor(() => (dead.messages.length >= bad.length + 1 ? dead.messages : undefined))
    expect(letters).toHaveLength(bad.length + 1)
    const parsed = letters.map((m) => JSON.parse(String(m.value)) as DeadLetterEvent)
    for (const letter of parsed) {
      expect(letter.error.code).toBe('CW_CONTRACT_INVALID_EVENT')
      expect(letter.error.issues.length).toBeGreaterThan(0)
      expect([w.topics.usage, w.topics.billing]).toContain(letter.topic)
    }
    const garbage = parsed.find((l) => l.originalBase64 === Buffer.from([0xff, 0xfe, 0x00, 0x81]).toString('base64'))
    expect(garbage?.error.message).toMatch(/UTF-8/i)
    expect(parsed.find((l) => l.error.issues.some((i) => i.path === 'mrr'))?.topic).toBe(w.topics.billing)

    const { rows } = await w.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
    expect(rows[0]?.n).toBe(30)
    const metrics = await registry.metrics()
    expect(metrics).toMatch(new RegExp(`churnwatch_consumer_messages_total\\{topic="${w.topics.usage.replace(/\./g, '\\.')}",result="dead_lettered",service="feature-builder"\\} ${bad.length}`))
  })

  it('shares partitions between two instances and produces the same state as one instance', async () => {
    const events = generateEvents(60, 20, 11)
    const single = await world('single')
    await single.start()
    await single.produce(events)
    await single.waitForOffsets(events.length)

    const pair = await world('pair')
    const first = await pair.start()
    const second = await pair.start()
    await waitFor(() => first.builder.isReady() && second.builder.isReady())
    await pair.produce(events)
    await pair.waitForOffsets(events.length)
    expect(await pair.digest()).toBe(await single.digest())
    const folded = async (registry: typeof first.registry) =>
      (await registry.getSingleMetric('churnwatch_events_folded_total')?.get())?.values.reduce((sum, v) => sum + v.value, 0) ?? 0
    const [a, b] = [await folded(first.registry), await folded(second.registry)]
    expect(a).toBeGreaterThan(0)
    expect(b).toBeGreaterThan(0)
    expect(a + b).toBe(events.length)
  })
})
