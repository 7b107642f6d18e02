export { createKafka, type Kafka, type KafkaClientOptions } from './client.js'
export { ensureTopics, fetchEndOffsets, type TopicSpec } from './topics.js'
export { createPublisher, isRetriableKafkaError, type Publisher, type PublisherOptions, type OutgoingMessage } from './publisher.js'
export {
  createBatchRunner,
  type BatchRunner,
  type BatchRunnerOptions,
  type PartitionBatch,
  type ParseResult,
  type RawMessage,
} from './runner.js'
