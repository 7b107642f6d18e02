import { parseEvent } from '@churnwatch/contract'
import { createLogger } from '@churnwatch/observability'
import { collectMessages, createTestTopics, uniqueName, waitFor } from '@churnwatch/testkit'
import { afterAll, describe, expect, inject, it } from 'vitest'
import {
  countBrokers,
  countTopicMessages,
  createKafka,
  createPublisher,
  deleteTopicsWithPrefix,
  ensureTopics,
  fetchCommittedOffsets,
  fetchEndOffsets,
  fetchEndOffsetsOfTopics,
  fetchPartitionCounts,
} from '../src/index.js'

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
    expect(await fetchPartitionCounts(kafka, [topic, uniqueName('cw_absent')])).toEqual(new Map([[topic, 4]]))
  })

  it('splits a batch larger than the broker takes in one request and delivers it whole and in order', async () => {
    const topic = uniqueName('cw_split')
    // 16 KiB per request and partition on this topic; the batch below is ~60 KiB.
    await ensureTopics(kafka, [{ topic, numPartitions: 1, configs: { 'max.message.bytes': '16384' } }])
    const messages = Array.from({ length: 120 }, (_, i) => ({ key: 'acme', value: { seq: i, pad: 'x'.repeat(400) } }))

    // The world is right: the same batch in one request is refused.
    const whole = createPublisher(kafka, { maxRequestBytes: 1024 * 1024 })
    await whole.connect()
    cleanups.push(whole.disconnect)
    await expect(whole.publish(topic, messages)).rejects.toThrow()

    const split = createPublisher(kafka, { maxRequestBytes: 8 * 1024 })
    await split.connect()
    cleanups.push(split.disconnect)
    await split.publish(topic, messages)

    const collected = await collectMessages([topic])
    cleanups.push(collected.stop)
    const received = await waitFor(() => (collected.messages.length >= messages.length ? collected.messages : undefined))
    expect(received.map((m) => (JSON.parse(m.value?.toString('utf8') ?? 'null') as { seq: number }).seq)).toEqual(messages.map((m) => m.value.seq))
    expect(await fetchEndOffsets(kafka, topic)).toEqual(new Map([[0, 120n]]))
  })

  it('answers the probes: brokers, end offsets of existing topics, messages held, committed offsets', async () => {
    const prefix = uniqueName('cw_probe')
    const [topic, absent] = [`${prefix}.held`, `${prefix}.absent`]
    expect(await countBrokers(kafka)).toBeGreaterThanOrEqual(1)
    expect(await countTopicMessages(kafka, absent)).toBe(0)
    await ensureTopics(kafka, [{ topic, numPartitions: 2 }])
    // Its own producer, gone before the topic is deleted: a producer keeps refreshing metadata for every topic it wrote to.
    const own = createPublisher(kafka)
    await own.connect()
    await own.publish(topic, [
      { key: 'a', value: { n: 1 } },
      { key: 'b', value: { n: 2 } },
      { key: 'c', value: { n: 3 } },
    ])
    await own.disconnect()
    const ends = await fetchEndOffsetsOfTopics(kafka, [topic, absent])
    expect([...ends.keys()]).toEqual([topic])
    expect([...(ends.get(topic)?.values() ?? [])].reduce((a, b) => a + b, 0n)).toBe(3n)
    expect(await countTopicMessages(kafka, topic)).toBe(3)
    // No group has committed anything on it yet.
    expect(await fetchCommittedOffsets(kafka, uniqueName('cw_group'), topic)).toEqual(new Map())

    expect(await deleteTopicsWithPrefix(kafka, prefix)).toEqual([topic])
    await waitFor(async () => (await fetchPartitionCounts(kafka, [topic])).size === 0, { description: `${topic} deleted` })
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
