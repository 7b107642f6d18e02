import { Kafka, logLevel, Partitioners, type Consumer } from 'kafkajs'
import { inject } from 'vitest'
import { uniqueName } from './names.js'

// The testkit talks to Kafka with kafkajs itself, not through @churnwatch/kafka: that package's own
// integration tests use the testkit (a dependency cycle turbo refuses), and a test observes the
// adapter with an independent client. Nothing of kafkajs is exported from here.

/** A kafkajs client on the test broker, quiet unless something is wrong. */
function testKafka(clientId = uniqueName('cw_client')): Kafka {
  return new Kafka({ clientId, brokers: inject('kafkaBrokers'), logLevel: logLevel.ERROR })
}

/** Creates fresh topics (auto-creation is off) and returns their names, in the order of `prefixes`. */
export async function createTestTopics(prefixes: string[], numPartitions = 3): Promise<string[]> {
  const names = prefixes.map((p) => uniqueName(p))
  const admin = testKafka().admin()
  await admin.connect()
  try {
    await admin.createTopics({ waitForLeaders: true, topics: names.map((topic) => ({ topic, numPartitions })) })
    // A leader named in metadata may not serve its partition yet (NOT_LEADER_OR_FOLLOWER): wait
    // until each topic's offsets can be read, so a test's first produce or offset read succeeds.
    for (const topic of names) await untilServed(() => admin.fetchTopicOffsets(topic))
  } finally {
    await admin.disconnect()
  }
  return names
}

async function untilServed(read: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await read()
      return
    } catch (err) {
      if ((err as { retriable?: unknown }).retriable !== true || Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

export interface CollectedMessage {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
  headers: Record<string, Buffer | string | Array<Buffer | string> | undefined> | undefined
}

/** Consumes `topics` from the beginning into an array that tests poll with `waitFor`. */
export async function collectMessages(topics: string[]): Promise<{ messages: CollectedMessage[]; stop: () => Promise<void> }> {
  const consumer: Consumer = testKafka().consumer({ groupId: uniqueName('cw_collect') })
  const messages: CollectedMessage[] = []
  await consumer.connect()
  await consumer.subscribe({ topics, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      messages.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: message.value,
        headers: message.headers,
      })
    },
  })
  return { messages, stop: () => consumer.disconnect() }
}

/** Produces raw messages (bytes or JSON) keyed as given, partitioned like the Java client. */
export async function produceMessages(
  topic: string,
  messages: Array<{ key: string | null; value: Buffer | string | object | null }>,
): Promise<void> {
  // Idempotent: a retry under load must not write a message twice, or tests counting offsets drift.
  const producer = testKafka().producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  try {
    for (let i = 0; i < messages.length; i += 5_000) {
      await producer.send({
        topic,
        messages: messages.slice(i, i + 5_000).map((m) => ({
          key: m.key,
          value:
            m.value === null || Buffer.isBuffer(m.value) || typeof m.value === 'string' ? m.value : JSON.stringify(m.value),
        })),
      })
    }
  } finally {
    await producer.disconnect()
  }
}
