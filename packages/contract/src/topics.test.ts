import { describe, expect, it } from 'vitest'
import { TOPIC_SPECS, TOPICS } from './topics.js'

describe('topics', () => {
  it('names every topic as in the design', () => {
    expect(TOPICS).toEqual({
      usage: 'churn.usage.v1',
      billing: 'churn.billing.v1',
      accounts: 'churn.accounts.v1',
      featuresChanged: 'churn.features-changed.v1',
      riskScores: 'churn.risk-scores.v1',
      alerts: 'churn.alerts.v1',
      deadLetter: 'churn.dead-letter.v1',
    })
  })

  it('has one spec per topic, under the same key', () => {
    expect(Object.keys(TOPIC_SPECS).sort()).toEqual(Object.keys(TOPICS).sort())
    for (const [key, spec] of Object.entries(TOPIC_SPECS)) {
      expect(spec.topic).toBe(TOPICS[key as keyof typeof TOPICS])
    }
  })

  it('co-partitions every customer-keyed topic with the same partition count', () => {
    const customerKeyed = Object.values(TOPIC_SPECS).filter((spec) => spec.key === 'customerId')
    expect(customerKeyed.map((spec) => spec.topic).sort()).toEqual(
      [TOPICS.usage, TOPICS.billing, TOPICS.accounts, TOPICS.featuresChanged, TOPICS.riskScores, TOPICS.alerts].sort(),
    )
    expect(new Set(customerKeyed.map((spec) => spec.numPartitions))).toEqual(new Set([6]))
    expect(TOPIC_SPECS.deadLetter.numPartitions).toBe(3)
  })
})
