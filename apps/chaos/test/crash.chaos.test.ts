import type { AlertEvent } from '@churnwatch/contract'
import { backfillLines } from '@churnwatch/ingest'
import { createKafka } from '@churnwatch/kafka'
import { createLogger } from '@churnwatch/observability'
import { simulateBusiness } from '@churnwatch/simulator'
import { createEndpoint, digestFeatureState, migrate, storedEventRange, type Queryable } from '@churnwatch/storage'
import { collectMessages, createTestDatabase, uniqueName, waitFor } from '@churnwatch/testkit'
import { selectTensorflowBackend, trainAndRegister } from '@churnwatch/training'
import { generateSecret, verifyWebhook } from '@churnwatch/webhooks'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { cloneDatabase, dropDatabase } from './support/database.js'
import { generateInput } from './support/events.js'
import { createFeatureWorld, type FeatureWorld } from './support/feature-world.js'
import { diffState, expectedState, noDiff, readState } from './support/known-answer.js'
import { seededRandom, spreadFractions } from './support/random.js'
import { createScorerWorld, type ScorerWorld } from './support/scorer-world.js'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js'

const REPLAY_MESSAGES = 200_000
const KILLS = 10
const SCORER_KILLS = 6

describe('kill -9 mid-stream', () => {
  const worlds: Array<FeatureWorld | ScorerWorld | WebhookReceiver> = []
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    for (const world of worlds.splice(0).reverse()) await world.close()
  })

  it('feature builder: ten kills at seeded moments of a 200,000-event replay leave the state of a clean run and of the known answer', async () => {
    const input = generateInput({ customers: 1_000, total: REPLAY_MESSAGES, seed: 20_261_123 })
    expect(input.messages).toHaveLength(REPLAY_MESSAGES)
    const expected = expectedState(input.events)

    const clean = await createFeatureWorld('fb_clean')
    worlds.push(clean)
    const world = await createFeatureWorld('fb_kill')
    worlds.push(world)
    await clean.produce(input.messages)
    await world.produce(input.messages)
    // The clean run folds while the killed builders wait out their group's session timeouts.
    clean.startBuilder()
    const cleanRun = clean.waitForEnd(240_000).then(async () => {
      expect(diffState(expected, await readState(clean.db.pool))).toEqual(noDiff(expected))
      return digestFeatureState(clean.db.pool)
    })
    // Awaited after the kills; meanwhile a failure must not surface as an unhandled rejection.
    cleanRun.catch(() => undefined)
    // Kill points are fractions of the replay folded, one per tenth: seeded, so a failure repeats.
    const targets = spreadFractions(seededRandom(9), KILLS, 0.02, 0.85).map((f) => Math.floor(f * REPLAY_MESSAGES))
    const cuts: number[] = []
    for (const target of targets) {
      const builder = world.startBuilder()
      const before = await world.foldedOffsets()
      await waitFor(async () => !builder.alive() || (await world.foldedOffsets()) >= Math.max(target, before + 1), {
        timeoutMs: 120_000,
        intervalMs: 10,
        description: `the builder folding past offset ${target}`,
      })
      expect(builder.alive(), builder.tail()).toBe(true)
      await builder.killHard()
      cuts.push(await world.foldedOffsets())
      console.log(`feature builder: kill -9 at ${cuts.at(-1)} of ${REPLAY_MESSAGES} messages folded (target ${target})`)
    }
    // Every kill interrupted work: the stream was never finished before the last restart.
    expect(cuts.every((n) => n < REPLAY_MESSAGES)).toBe(true)
    const last = world.startBuilder()
    await world.waitForEnd(180_000)
    expect(last.alive(), last.tail()).toBe(true)

    expect(diffState(expected, await readState(world.db.pool))).toEqual(noDiff(expected))
    expect(await digestFeatureState(world.db.pool)).toBe(await cleanRun)
  })

  it('scorer: kills while scoring announcements and delivering webhooks lose no alert, raise none twice, and deliver each under one webhook id', async () => {
    const log = createLogger({ service: 'chaos-test', level: 'error' })
    const kafka = createKafka({ brokers: inject('kafkaBrokers'), clientId: uniqueName('chaos_scorer'), log })
    const delays = seededRandom(41)
    const receiver = await startWebhookReceiver(() => Math.floor(delays() * 40))
    worlds.push(receiver)
    const secret = generateSecret()

    // One prepared database (events, a trained model, the receiver's endpoint), copied for a
    // clean run and for the run with kills: both start from the same bytes.
    const started = Date.now()
    const base = await createTestDatabase('cw_chaos_scorer_base')
    const simulation = simulateBusiness({ customers: 800, months: 14, seed: 8, eventsPerActiveUserPerDay: 0.2 })
    let customerIds: string[]
    let lastEventAt: string
    try {
      await migrate(base.pool)
      await backfillLines(base.pool, [...simulation.events()].map((e) => JSON.stringify(e)))
      await selectTensorflowBackend()
      await trainAndRegister(base.pool, { asOf: '2026-02-01T00:00:00.000Z', kind: 'gbdt', activate: true })
      await createEndpoint(base.pool, { id: 'ep_chaos', url: receiver.url, secret, eventKinds: ['*'] })
      customerIds = (await base.pool.query<{ customer_id: string }>('SELECT customer_id FROM customers ORDER BY customer_id')).rows.map((r) => r.customer_id)
      lastEventAt = (await storedEventRange(base.pool))?.last.toISOString() ?? ''
    } catch (err) {
      await base.drop()
      throw err
    }
    // A template must have no sessions: the pool goes before the copies are made.
    await base.pool.end()
    let clean: ScorerWorld
    let chaos: ScorerWorld
    try {
      clean = await createScorerWorld(kafka, await cloneDatabase(base.name, 'cw_chaos_scorer_clean'), 'scorer_clean')
      worlds.push(clean)
      chaos = await createScorerWorld(kafka, await cloneDatabase(base.name, 'cw_chaos_scorer_kill'), 'scorer_kill')
      worlds.push(chaos)
    } finally {
      await dropDatabase(base.name)
    }
    const cleanDb = clean.db
    const chaosDb = chaos.db

    const prepared = Date.now()
    // Clean run: one process, no kills; its outbox is written but not delivered (same endpoint).
    await clean.announce(customerIds, 3, lastEventAt)
    const cleanScorer = clean.startScorer({ WEBHOOKS_ENABLED: 'false' })
    await clean.waitForConsumed(180_000)
    expect(cleanScorer.alive(), cleanScorer.tail()).toBe(true)
    await cleanScorer.killHard()
    const expectedAlerts = await alertLines(cleanDb.pool)
    const expectedOutbox = await outboxLines(cleanDb.pool)
    const scoredTotal = await count(cleanDb.pool, 'SELECT count(*)::int AS n FROM risk_scores')
    expect(expectedAlerts.length).toBeGreaterThan(20)
    // One asOf throughout: each alert is opened once and never updated, so one message each.
    expect(expectedOutbox).toHaveLength(expectedAlerts.length)

    const cleanDone = Date.now()
    const published = await collectMessages([chaos.alerts])
    stops.push(published.stop)
    await chaos.announce(customerIds, 3, lastEventAt)
    // Kill points: fractions of the work, scoring (rows written) then delivering (requests received).
    const progress = async () => (await count(chaosDb.pool, 'SELECT count(*)::int AS n FROM risk_scores')) / scoredTotal + receiver.received.length / expectedOutbox.length
    const targets = spreadFractions(seededRandom(42), SCORER_KILLS, 0.05, 1.8)
    for (const target of targets) {
      const scorer = chaos.startScorer()
      const before = await progress()
      await waitFor(async () => !scorer.alive() || (await progress()) >= Math.max(target, before + 0.01), {
        timeoutMs: 120_000,
        intervalMs: 10,
        description: `scorer progress past ${target.toFixed(2)}`,
      })
      expect(scorer.alive(), scorer.tail()).toBe(true)
      await scorer.killHard()
      console.log(`scorer: kill -9 at progress ${(await progress()).toFixed(2)} (target ${target.toFixed(2)}), ${receiver.received.length} webhook requests so far`)
    }
    const killsDone = Date.now()
    const last = chaos.startScorer()
    await chaos.waitForConsumed(180_000)
    // Messages a killed dispatcher had claimed come back when their lease (WEBHOOK_LEASE_MS, 15 s here) ends.
    await waitFor(async () => (await count(chaosDb.pool, `SELECT count(*)::int AS n FROM webhook_outbox WHERE status <> 'delivered'`)) === 0, {
      timeoutMs: 150_000,
      intervalMs: 500,
      description: 'every outbox message delivered',
    })
    expect(last.alive(), last.tail()).toBe(true)

    // No alert lost or raised twice: the same alerts as the clean run, one live alert per customer and kind.
    expect(await alertLines(chaosDb.pool)).toEqual(expectedAlerts)
    expect(await count(chaosDb.pool, `SELECT count(*)::int AS n FROM (SELECT 1 FROM alerts WHERE status <> 'resolved' GROUP BY customer_id, kind HAVING count(*) > 1) d`)).toBe(0)
    expect(await outboxLines(chaosDb.pool)).toEqual(expectedOutbox)

    // Webhooks: every alert delivered, each webhook id always the same signed message (redelivery allowed).
    const bodiesById = new Map<string, Set<string>>()
    for (const hook of receiver.received) {
      const verified = verifyWebhook(hook.headers, hook.body, secret, { now: hook.receivedAt })
      expect(verified.ok, `${hook.id}: ${JSON.stringify(verified)}`).toBe(true)
      bodiesById.set(hook.id, (bodiesById.get(hook.id) ?? new Set()).add(hook.body))
    }
    expect([...bodiesById.values()].filter((bodies) => bodies.size > 1)).toEqual([])
    expect([...bodiesById.keys()].sort()).toEqual(expectedOutbox.map((line) => line.split('|')[0]).sort())
    const deliveredAlerts = new Set([...bodiesById.values()].map((bodies) => (JSON.parse([...bodies][0] ?? '{}') as { data: AlertEvent }).data.alertId))
    expect([...deliveredAlerts].sort()).toEqual(expectedAlerts.map((line) => line.split('|')[0]).sort())

    // Kafka consumers see every alert (repeats allowed, same eventId) and none that was never stored.
    const publishedAlertIds = () => new Set(published.messages.map((m) => (JSON.parse(String(m.value)) as AlertEvent).alertId))
    await waitFor(() => publishedAlertIds().size >= expectedAlerts.length, { timeoutMs: 30_000, description: 'every alert on the alerts topic' })
    expect([...publishedAlertIds()].sort()).toEqual(expectedAlerts.map((line) => line.split('|')[0]).sort())
    console.log(
      `scorer: ${expectedAlerts.length} alerts, ${receiver.received.length} webhook requests for ${bodiesById.size} ids, ` +
        `${published.messages.length} alert events; s: prepare ${(prepared - started) / 1000}, clean ${(cleanDone - prepared) / 1000}, ` +
        `kills ${(killsDone - cleanDone) / 1000}, drain ${(Date.now() - killsDone) / 1000}`,
    )
  })
})

async function count(db: Queryable, sql: string): Promise<number> {
  return (await db.query<{ n: number }>(sql)).rows[0]?.n ?? 0
}

/** Alerts as comparable lines: id, customer, kind, status, measures and times. */
async function alertLines(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    `SELECT concat_ws('|', alert_id, customer_id, kind, status, probability, revenue_at_risk, play,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS'), to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS')) AS line
     FROM alerts ORDER BY alert_id`,
  )
  return rows.map((r) => r.line)
}

/** Outbox messages as lines: the webhook id, its event type and the alert change it carries. */
async function outboxLines(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    `SELECT concat_ws('|', message_id, event_type, payload->>'alertId', payload->>'change', payload->>'eventId') AS line
     FROM webhook_outbox ORDER BY message_id`,
  )
  return rows.map((r) => r.line)
}
