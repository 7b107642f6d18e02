export { createKafka, type KafkaClient, type KafkaClientOptions } from './client.js'
export {
  countBrokers,
  countTopicMessages,
  deleteTopicsWithPrefix,
  ensureTopics,
  fetchCommittedOffsets,
  fetchEndOffsets,
  fetchEndOffsetsOfTopics,
  fetchPartitionCounts,
  type TopicSpec,
} from './admin.js'
export { createPublisher, isRetriableKafkaError, type Publisher, type PublisherOptions, type OutgoingMessage } from './publisher.js'
export {
  createBatchRunner,
  type BatchRunner,
  type BatchRunnerOptions,
  type PartitionBatch,
  type ParseResult,
  type RawMessage,
} from './runner.js'
