import { parseEvent } from '@churnwatch/contract'
import { createLogger } from '@churnwatch/observability'
import { collectMessages, createTestTopics, uniqueName, waitFor } from '@churnwatch/testkit'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createKafka, createPublisher, ensureTopics } from '../src/index.js'

describe('kafka adapter against a real broker', () => {
  const log = createLogger({ service: 'kafka-test', level: 'warn' })
  const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('cw_kafka_test'), log })
  const publisher = createPublisher(kafka)
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup()
    await publisher.disconnect()
  })

  it('creates missing topics once and leaves existing ones alone', async () => {
    const topic = uniqueName('cw_ensure')
    expect(await ensureTopics(kafka, [{ topic, numPartitions: 4 }])).toEqual([topic])
    expect(await ensureTopics(kafka, [{ topic, numPartitions: 4 }])).toEqual([])
    const admin = kafka.admin()
    await admin.connect()
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics
    await admin.disconnect()
    expect(metadata?.partitions).toHaveLength(4)
  })

  it('publishes a validated usage event keyed by customerId and consumes it back intact', async () => {
    const [topic = ''] = await createTestTopics(['cw_usage'], 3)
    const event = {
      eventId: uniqueName('u'),
      customerId: 'acme',
      occurredAt: '2026-03-01T12:00:00Z',
      kind: 'usage',
      action: 'report_exported',
      quantity: 2,
      userId: 'u-7',
    }
    const parsed = parseEvent(Buffer.from(JSON.stringify(event)))
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues))

    await publisher.connect()
    await publisher.publish(topic, [{ key: parsed.event.customerId, value: parsed.event }])

    const collected = await collectMessages([topic])
    cleanups.push(collected.stop)
    const [message] = await waitFor(() => (collected.messages.length > 0 ? collected.messages : undefined))
    expect(message?.key).toBe('acme')
    const roundTrip = parseEvent(message?.value ?? null)
    expect(roundTrip).toEqual({ ok: true, event: parsed.event })
  })
})
