import { alertChangeEvent, type AlertFields } from '@churnwatch/contract'
import { createTestDatabase, type TestDatabase } from '@churnwatch/testkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createEndpoint, disableEndpoint, migrate, recordAlertChanges, webhookMessageId, withTransaction } from '../src/index.js'

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
const T0 = '2026-03-01T12:00:00.000Z'
const T1 = '2026-03-02T09:30:00.000Z'

const alert = (customerId: string, kind: AlertFields['kind'], overrides: Partial<AlertFields> = {}): AlertFields => ({
  alertId: `${customerId}:${kind}`,
  customerId,
  kind,
  status: 'open',
  probability: 0.8,
  revenueAtRisk: 3_920,
  drivers: [{ feature: 'days_since_last_login', value: 21, contribution: 0.4, sentence: 'No logins in the last 21 days' }],
  play: 'Call the account owner',
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
})

describe('recordAlertChanges against real PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('cw_alert_changes')
    await migrate(db.pool)
    const endpoint = (id: string, eventKinds: string[]) =>
      createEndpoint(db.pool, { id, url: `http://127.0.0.1:9/${id}`, secret: SECRET, eventKinds })
    await endpoint('risk', ['risk_high'])
    await endpoint('all', ['*'])
    await endpoint('pay', ['payment_failed'])
    await endpoint('usage', ['usage_drop'])
    await endpoint('off', ['*'])
    await disableEndpoint(db.pool, { endpointId: 'off', reason: 'paused by operator' })
  })
  afterAll(() => db.drop())

  const webhookRows = async () =>
    (
      await db.pool.query<{ message_id: string; endpoint_id: string; event_type: string; customer_id: string; payload: unknown }>(
        'SELECT message_id, endpoint_id, event_type, customer_id, payload FROM webhook_outbox ORDER BY message_id',
      )
    ).rows
  const kafkaRows = async () =>
    (await db.pool.query<{ topic: string; key: string; value: unknown }>('SELECT topic, key, value FROM kafka_outbox ORDER BY id')).rows

  it('writes a webhook row per event and subscribed endpoint and a Kafka row per event, in three statements for several alerts', async () => {
    const events = [
      alertChangeEvent(alert('acme', 'risk_high'), 'opened'),
      alertChangeEvent(alert('globex', 'payment_failed'), 'opened'),
      alertChangeEvent(alert('acme', 'risk_high', { status: 'acknowledged', updatedAt: T1 }), 'acknowledged'),
      alertChangeEvent(alert('initech', 'usage_drop', { status: 'resolved', updatedAt: T1 }), 'resolved'),
    ]
    const statements = await withTransaction(db.pool, async (tx) => {
      const query = vi.spyOn(tx, 'query')
      try {
        await recordAlertChanges(tx, 'p.churn.alerts.v1', events)
        return query.mock.calls.length
      } finally {
        query.mockRestore()
      }
    })
    expect(statements).toBe(3)

    const subscribers: Record<string, string[]> = { risk_high: ['all', 'risk'], payment_failed: ['all', 'pay'], usage_drop: ['all', 'usage'] }
    const expected = events.flatMap((event) =>
      (subscribers[event.kind] ?? []).map((endpointId) => ({
        message_id: webhookMessageId(event.eventId, endpointId),
        endpoint_id: endpointId,
        event_type: event.kind,
        customer_id: event.customerId,
        payload: event,
      })),
    )
    expect(await webhookRows()).toEqual(expected.sort((a, b) => a.message_id.localeCompare(b.message_id)))
    expect(await kafkaRows()).toEqual(events.map((event) => ({ topic: 'p.churn.alerts.v1', key: event.customerId, value: event })))

    // A replay (a redelivered batch) adds no webhook message: the ids derive from the event ids.
    await withTransaction(db.pool, (tx) => recordAlertChanges(tx, 'p.churn.alerts.v1', events))
    expect(await webhookRows()).toHaveLength(expected.length)
  })

  it('keeps nothing when the transaction rolls back, and runs no statement for no events', async () => {
    await db.pool.query('DELETE FROM webhook_outbox; DELETE FROM kafka_outbox')
    await expect(
      withTransaction(db.pool, async (tx) => {
        await recordAlertChanges(tx, 'p.churn.alerts.v1', [alertChangeEvent(alert('umbrella', 'risk_high'), 'opened')])
        throw new Error('scoring failed')
      }),
    ).rejects.toThrow('scoring failed')
    expect(await webhookRows()).toEqual([])
    expect(await kafkaRows()).toEqual([])

    const statements = await withTransaction(db.pool, async (tx) => {
      const query = vi.spyOn(tx, 'query')
      try {
        await recordAlertChanges(tx, 'p.churn.alerts.v1', [])
        return query.mock.calls.length
      } finally {
        query.mockRestore()
      }
    })
    expect(statements).toBe(0)
  })
})
