import type { DeadLetterEvent } from '@churnwatch/contract'
import { collectMessages, produceMessages, waitFor } from '@churnwatch/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { BROKER_MAX_MESSAGE_BYTES, generateBadInput, type BadMessage } from './support/bad-input.js'
import { generateInput, toTopicMessages } from './support/events.js'
import { createFeatureWorld, type FeatureWorld } from './support/feature-world.js'
import { diffState, expectedState, noDiff, readState } from './support/known-answer.js'
import { seededRandom } from './support/random.js'

const BAD = 10_000
const LARGE = 10

type Outgoing = { key: string | null; value: Buffer | string | object | null }

describe('hostile input', () => {
  const worlds: FeatureWorld[] = []
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    for (const world of worlds.splice(0)) await world.close()
  })

  it('dead-letters 10,000 malformed messages with their reasons and bytes, folds every good one, and stays up and caught up', async () => {
    const world = await createFeatureWorld('bad_input')
    worlds.push(world)
    const good = generateInput({ customers: 200, total: 20_000, seed: 31 })
    const bad = generateBadInput({ count: BAD, large: LARGE, seed: 32 })
    const dead = await collectMessages([world.topics.deadLetter])
    stops.push(dead.stop)
    // info: the ops server's port is only in the "ops server listening" line.
    const builder = world.startBuilder({ LOG_LEVEL: 'info' })
    const listening = builder.logged('ops server listening')

    const random = seededRandom(33)
    const goodByTopic = toTopicMessages(good.messages)
    for (const topic of ['usage', 'billing', 'accounts'] as const) {
      const mixed = mix(goodByTopic[topic], bad.small.filter((b) => b.topic === topic), random)
      const half = Math.floor(mixed.length / 2)
      await produceMessages(world.topics[topic], mixed.slice(0, half))
      // One per request: a record batch holding a ~1 MB record besides others would exceed the limit.
      if (topic === 'usage') for (const large of bad.large) await produceMessages(world.topics.usage, [{ key: large.key, value: large.value }])
      await produceMessages(world.topics[topic], mixed.slice(half))
    }
    await world.waitForEnd(240_000)

    const all = [...bad.small, ...bad.large]
    const letters = await waitFor(() => (dead.messages.length >= all.length ? dead.messages : undefined), {
      timeoutMs: 60_000,
      description: `${all.length} dead letters`,
    })
    expect(letters).toHaveLength(all.length)
    const byKey = new Map(letters.map((m) => [m.key, JSON.parse(String(m.value)) as DeadLetterEvent]))
    const problems: string[] = []
    for (const b of all) {
      const letter = byKey.get(b.key)
      const problem = checkLetter(b, letter, world.topics[b.topic])
      if (problem) problems.push(`${b.key} (${b.why}): ${problem}`)
    }
    expect(problems.slice(0, 10)).toEqual([])
    expect(byKey.size).toBe(all.length)

    const expected = expectedState(good.events)
    expect(diffState(expected, await readState(world.db.pool))).toEqual(noDiff(expected))

    expect(builder.alive(), builder.tail()).toBe(true)
    const { port } = (await listening) as { port: number }
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    const deadLettered = metrics
      .split('\n')
      .filter((line) => line.startsWith('churnwatch_consumer_messages_total{') && line.includes('result="dead_lettered"'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
    expect(deadLettered).toBe(all.length)

    // Anything larger never reaches the builder: the broker refuses it to the producer.
    await expect(
      produceMessages(world.topics.usage, [{ key: 'too-large', value: Buffer.alloc(BROKER_MAX_MESSAGE_BYTES + 1_000, 'z') }]),
    ).rejects.toThrow(/larger than the max message size/)
  })
})

/** Scatters `bad` among `good` at seeded positions, keeping the good ones in order. */
function mix(good: Outgoing[], bad: BadMessage[], random: () => number): Outgoing[] {
  const placed = [
    ...good.map((m, i) => ({ at: i / good.length, m })),
    ...bad.map((b) => ({ at: random(), m: { key: b.key, value: b.value } })),
  ]
  return placed.sort((a, b) => a.at - b.at).map((p) => p.m)
}

function checkLetter(b: BadMessage, letter: DeadLetterEvent | undefined, topic: string): string | undefined {
  if (!letter) return 'no dead letter'
  if (letter.topic !== topic) return `topic ${letter.topic}`
  if (letter.error.code !== 'CW_CONTRACT_INVALID_EVENT') return `code ${letter.error.code}`
  if (letter.error.issues.length === 0) return 'no issues'
  if (!letter.error.issues.some((i) => i.path === b.path)) return `issues ${JSON.stringify(letter.error.issues)} lack path "${b.path}"`
  const original = b.value === null ? null : b.value.toString('base64')
  if (letter.originalBase64 !== original) return 'original bytes differ'
  return undefined
}
