import { TOPICS, TOPIC_SPECS, type FeaturesChangedEvent } from '@churnwatch/contract'
import { ensureTopics, fetchCommittedOffsets, fetchEndOffsets, type KafkaClient } from '@churnwatch/kafka'
import { produceMessages, uniqueName, waitFor } from '@churnwatch/testkit'
import { inject } from 'vitest'
import type { ClonedDatabase } from './database.js'
import { SCORER_MAIN, startService, type ServiceProcess } from './processes.js'

/** A scorer's own database copy, topic prefix and consumer group. */
export interface ScorerWorld {
  db: ClonedDatabase
  prefix: string
  groupId: string
  featuresChanged: string
  alerts: string
  /** Announces every customer `rounds` times, as the feature builder would after folding. */
  announce: (customerIds: readonly string[], rounds: number, maxOccurredAt: string) => Promise<number>
  startScorer: (env?: Record<string, string>) => ServiceProcess
  /** Waits until the group's committed offsets reach the end of every features-changed partition. */
  waitForConsumed: (timeoutMs: number) => Promise<void>
  close: () => Promise<void>
}

export async function createScorerWorld(kafka: KafkaClient, db: ClonedDatabase, name: string): Promise<ScorerWorld> {
  const prefix = `${uniqueName(name)}.`
  const groupId = uniqueName(`${name}_group`)
  const featuresChanged = prefix + TOPICS.featuresChanged
  const alerts = prefix + TOPICS.alerts
  // Created here (the scorer would on start) so that tests can subscribe before it runs.
  await ensureTopics(kafka, [
    { topic: featuresChanged, numPartitions: TOPIC_SPECS.featuresChanged.numPartitions },
    { topic: alerts, numPartitions: TOPIC_SPECS.alerts.numPartitions },
  ])
  const started: ServiceProcess[] = []
  return {
    db,
    prefix,
    groupId,
    featuresChanged,
    alerts,
    async announce(customerIds, rounds, maxOccurredAt) {
      const messages: Array<{ key: string; value: FeaturesChangedEvent }> = []
      for (let round = 0; round < rounds; round += 1) {
        for (const customerId of customerIds) {
          messages.push({ key: customerId, value: { eventId: `fc-${round}-${customerId}`, customerId, eventCount: 1, maxOccurredAt, changedAt: maxOccurredAt } })
        }
      }
      await produceMessages(featuresChanged, messages)
      return messages.length
    },
    startScorer(env = {}) {
      const service = startService(SCORER_MAIN, {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: inject('kafkaBrokers').join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_GROUP_ID: groupId,
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        // asOf follows the data: with every event stored up front it is the same instant in every run.
        SCORER_CLOCK: 'data',
        // Announcements drive the scoring; the sweep (same asOf, same result) stays out of the way.
        SWEEP_INTERVAL_MS: '3600000',
        WEBHOOK_POLL_INTERVAL_MS: '50',
        // The shortest lease the scorer takes: a killed process's claims come back after 15 s, not 60.
        WEBHOOK_LEASE_MS: '15000',
        // The webhook receiver listens on 127.0.0.1.
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        HTTP_PORT: '0',
        LOG_LEVEL: 'error',
        ...env,
      })
      started.push(service)
      return service
    },
    async waitForConsumed(timeoutMs) {
      const ends = await fetchEndOffsets(kafka, featuresChanged)
      await waitFor(
        async () => {
          const at = await fetchCommittedOffsets(kafka, groupId, featuresChanged)
          return [...ends].every(([partition, end]) => end === 0n || (at.get(partition) ?? -1n) >= end)
        },
        { timeoutMs, intervalMs: 250, description: `group ${groupId} at the end of ${featuresChanged}` },
      )
    },
    async close() {
      for (const service of started) await service.killHard()
      await db.drop()
    },
  }
}
