/** Every Kafka topic churnwatch reads or writes; use these names, never string literals. */
export const TOPICS = {
  usage: 'churn.usage.v1',
  billing: 'churn.billing.v1',
  accounts: 'churn.accounts.v1',
  featuresChanged: 'churn.features-changed.v1',
  riskScores: 'churn.risk-scores.v1',
  alerts: 'churn.alerts.v1',
  deadLetter: 'churn.dead-letter.v1',
} as const

export type TopicKey = keyof typeof TOPICS
export type TopicName = (typeof TOPICS)[TopicKey]

export type TopicSpec = {
  topic: TopicName
  /** Recommended partition count when the topic is created. */
  numPartitions: number
  /** What the message key holds: the customer, or the key of the message that failed. */
  key: 'customerId' | 'originalKey'
  direction: 'input' | 'internal' | 'output' | 'dead-letter'
  /** Topic-level configs (Kafka names and string values). */
  configs: Record<string, string>
}

// Inputs, features-changed and outputs share one partition count: with the default murmur2
// partitioner the same customerId lands on the same partition number in every topic, so a
// consumer instance owns a customer's usage, billing and scoring together (co-partitioning).
// Six partitions let up to six feature-builder / scorer instances share the load.
const CUSTOMER_PARTITIONS = 6

/** Recommended creation settings for each topic, keyed like TOPICS. */
export const TOPIC_SPECS = {
  usage: { topic: TOPICS.usage, numPartitions: CUSTOMER_PARTITIONS, key: 'customerId', direction: 'input', configs: {} },
  billing: { topic: TOPICS.billing, numPartitions: CUSTOMER_PARTITIONS, key: 'customerId', direction: 'input', configs: {} },
  accounts: { topic: TOPICS.accounts, numPartitions: CUSTOMER_PARTITIONS, key: 'customerId', direction: 'input', configs: {} },
  featuresChanged: {
    topic: TOPICS.featuresChanged,
    numPartitions: CUSTOMER_PARTITIONS,
    key: 'customerId',
    direction: 'internal',
    configs: {},
  },
  riskScores: {
    topic: TOPICS.riskScores,
    numPartitions: CUSTOMER_PARTITIONS,
    key: 'customerId',
    direction: 'output',
    configs: {},
  },
  alerts: { topic: TOPICS.alerts, numPartitions: CUSTOMER_PARTITIONS, key: 'customerId', direction: 'output', configs: {} },
  deadLetter: {
    topic: TOPICS.deadLetter,
    // Low volume and read by humans or a replay tool: three partitions are plenty.
    numPartitions: 3,
    key: 'originalKey',
    direction: 'dead-letter',
    // A dead letter holds the original bytes as base64 (4/3 larger) plus the issues, so an
    // input near the broker's 1 MiB default would not fit under the default limit.
    configs: { 'max.message.bytes': String(2 * 1024 * 1024) },
  },
} as const satisfies Record<TopicKey, TopicSpec>
