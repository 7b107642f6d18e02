import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { EVENT_KINDS, TOPIC_OF_KIND, TOPIC_SPECS, type EventKind } from '@churnwatch/contract'
import { createPublisher, ensureTopics, fetchEndOffsets, type KafkaClient, type OutgoingMessage } from '@churnwatch/kafka'
import { readPartitionOffsets, type Pool } from '@churnwatch/storage'
import type { Output } from '../output.js'

export interface ProduceOptions {
  file: string
  wait: boolean
  waitTimeoutMs: number
  topicPrefix: string
  groupId: string
}

const SEND_BATCH = 5_000
const SHOWN_REJECTIONS = 5

/**
 * Publishes an NDJSON file of contract events to the usage, billing or accounts topic by `kind`, keyed by
 * customerId. Lines that are not JSON objects with a known kind are counted and reported (the
 * feature builder dead-letters everything else it finds invalid). With `wait`, returns once the
 * feature builder has committed every message of these topics.
 */
export async function produce(
  options: ProduceOptions,
  deps: { kafka: KafkaClient; pool: () => Pool; output: Output },
): Promise<{ produced: number; rejected: number }> {
  const topics: Record<EventKind, string> = {
    usage: options.topicPrefix + TOPIC_OF_KIND.usage,
    billing: options.topicPrefix + TOPIC_OF_KIND.billing,
    account: options.topicPrefix + TOPIC_OF_KIND.account,
  }
  await ensureTopics(deps.kafka, [
    { topic: topics.usage, numPartitions: TOPIC_SPECS.usage.numPartitions },
    { topic: topics.billing, numPartitions: TOPIC_SPECS.billing.numPartitions },
    { topic: topics.account, numPartitions: TOPIC_SPECS.accounts.numPartitions },
  ])
  const publisher = createPublisher(deps.kafka)
  await publisher.connect()
  const { size } = await stat(options.file)
  const progress = deps.output.progress('producing', size, 'bytes')
  const pending: Record<EventKind, OutgoingMessage[]> = { usage: [], billing: [], account: [] }
  let produced = 0
  let rejected = 0
  let bytes = 0
  let lineNumber = 0
  const flush = async (kind: EventKind) => {
    if (pending[kind].length === 0) return
    await publisher.publish(topics[kind], pending[kind])
    produced += pending[kind].length
    pending[kind] = []
  }
  try {
    const lines = createInterface({ input: createReadStream(options.file), crlfDelay: Infinity })
    for await (const line of lines) {
      lineNumber += 1
      bytes += Buffer.byteLength(line) + 1
      if (line.trim() === '') continue
      const routed = route(line)
      if (!routed.ok) {
        rejected += 1
        if (rejected <= SHOWN_REJECTIONS) deps.output.warn(`${options.file}:${lineNumber}: ${routed.reason}`)
        continue
      }
      pending[routed.kind].push({ key: routed.customerId, value: Buffer.from(line) })
      if (pending[routed.kind].length >= SEND_BATCH) {
        await flush(routed.kind)
        progress.update(bytes, `${produced} events`)
      }
    }
    for (const kind of EVENT_KINDS) await flush(kind)
    progress.update(size, `${produced} events`)
  } finally {
    progress.stop()
    await publisher.disconnect()
  }
  deps.output.info(`produced ${produced} events${rejected ? `, rejected ${rejected} lines` : ''}`)
  if (options.wait) await waitForFeatureBuilder(options, topics, deps)
  return { produced, rejected }
}

function route(line: string): { ok: true; kind: EventKind; customerId: string } | { ok: false; reason: string } {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    return { ok: false, reason: `not JSON (${err instanceof Error ? err.message : String(err)})` }
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not a JSON object' }
  const { kind, customerId } = value as { kind?: unknown; customerId?: unknown }
  const known = EVENT_KINDS.find((k) => k === kind)
  if (known === undefined) return { ok: false, reason: `kind: must be one of: ${EVENT_KINDS.join(', ')}` }
  if (typeof customerId !== 'string' || customerId === '') return { ok: false, reason: 'customerId: is required' }
  // The message is sent as written; the feature builder validates every other field.
  return { ok: true, kind: known, customerId }
}

async function waitForFeatureBuilder(
  options: ProduceOptions,
  topics: Record<EventKind, string>,
  deps: { kafka: KafkaClient; pool: () => Pool; output: Output },
): Promise<void> {
  const targets = await Promise.all(Object.values(topics).map(async (topic) => ({ topic, end: await fetchEndOffsets(deps.kafka, topic) })))
  const total = targets.reduce((sum, t) => sum + [...t.end.values()].reduce((a, b) => a + Number(b), 0), 0)
  const progress = deps.output.progress('waiting for the feature builder', total, 'messages')
  const deadline = Date.now() + options.waitTimeoutMs
  try {
    for (;;) {
      let done = 0
      let complete = true
      for (const { topic, end } of targets) {
        const stored = await readPartitionOffsets(deps.pool(), options.groupId, topic)
        for (const [partition, high] of end) {
          const at = stored.get(partition) ?? 0n
          done += Number(at < high ? at : high)
          if (at < high) complete = false
        }
      }
      progress.update(done)
      if (complete) return
      if (Date.now() > deadline) {
        throw new Error(
          `the feature builder (group ${options.groupId}) has not processed every message after ${options.waitTimeoutMs} ms: is it running? (npm start)`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  } finally {
    progress.stop()
  }
}
