import { isChurnwatchError } from '@churnwatch/contract'
import { createLogger } from '@churnwatch/observability'
import { describe, expect, it } from 'vitest'
import { createKafka, type KafkaClient } from './client.js'
import { createPublisher } from './publisher.js'

describe('createKafka', () => {
  const log = createLogger({ service: 'kafka-unit', level: 'silent' })

  it('returns a plain frozen client that shows its brokers and id and nothing of the library behind it', () => {
    const client = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'cw-unit', log })
    expect(client).toEqual({ clientId: 'cw-unit', brokers: ['127.0.0.1:1'] })
    expect(Object.isFrozen(client)).toBe(true)
    expect(Object.isFrozen(client.brokers)).toBe(true)
  })

  it('refuses a look-alike client that createKafka did not make', () => {
    const lookAlike: KafkaClient = { clientId: 'cw-unit', brokers: ['127.0.0.1:1'] }
    let caught: unknown
    try {
      createPublisher(lookAlike)
    } catch (err) {
      caught = err
    }
    expect(isChurnwatchError(caught) && caught.code).toBe('CW_KAFKA_UNKNOWN_CLIENT')
  })
})
