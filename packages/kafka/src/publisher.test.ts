import { KafkaJSConnectionError, KafkaJSNonRetriableError } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { isRetriableKafkaError } from './publisher.js'

const refused = () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')
// kafkajs's typings omit the options argument of its error constructors; the shapes below are what it throws.
const protocolError = (type: string, retriable: boolean) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable })

describe('isRetriableKafkaError', () => {
  it.each([
    ['a connection error', refused(), true],
    // What producer.send throws once reconnecting exhausted the client's retries during an outage.
    ['a non-retriable wrapper around a connection error', Object.assign(new KafkaJSNonRetriableError(refused()), { cause: refused() }), true],
    ['retries exhausted', Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: refused() }), true],
    ['a retriable protocol error (leader moving)', protocolError('NOT_LEADER_OR_FOLLOWER', true), true],
    ['a refused request (too large)', protocolError('MESSAGE_TOO_LARGE', false), false],
    ['a programmer error', new TypeError('x is not a function'), false],
    ['not an error', 'boom', false],
  ])('%s: %s', (_what, err, expected) => {
    expect(isRetriableKafkaError(err)).toBe(expected)
  })
})
