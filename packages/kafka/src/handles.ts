import { ChurnwatchError } from '@churnwatch/contract'
import type { Kafka } from 'kafkajs'
import type { KafkaClient } from './client.js'

// The kafkajs instance behind each KafkaClient. Kept here, out of the exported modules, so that no
// kafkajs type reaches the package's declarations: swapping the client library stays inside it.
const kafkajsClients = new WeakMap<KafkaClient, Kafka>()

export function bindKafkajs(client: KafkaClient, kafka: Kafka): void {
  kafkajsClients.set(client, kafka)
}

/** The kafkajs client behind a KafkaClient made by createKafka; for this package's modules only. */
export function kafkajsOf(client: KafkaClient): Kafka {
  const kafka = kafkajsClients.get(client)
  if (kafka === undefined) throw new ChurnwatchError('CW_KAFKA_UNKNOWN_CLIENT', 'not a KafkaClient made by createKafka')
  return kafka
}
