import type { OutgoingMessage, Publisher } from '@churnwatch/kafka'
import type { Logger } from '@churnwatch/observability'
import { ApiError } from './errors.js'

/**
 * Publishes and waits for Kafka's acknowledgement (acks=all) for at most `timeoutMs`; then answers
 * 503 so that the client retries. The idempotent producer keeps trying in the background, so a
 * late success can duplicate the client's retry: events carry eventIds and consumers drop repeats.
 */
export async function publishWithin(
  publisher: Publisher,
  topic: string,
  messages: readonly OutgoingMessage[],
  options: { timeoutMs: number; log: Logger },
): Promise<void> {
  if (messages.length === 0) return
  const sending = publisher.publish(topic, messages)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs)
  })
  try {
    const outcome = await Promise.race([sending.then(() => 'sent' as const), timeout])
    if (outcome === 'timeout') {
      sending.catch((err: unknown) => options.log.warn({ err, topic }, 'late publish failed'))
      throw new ApiError('unavailable', `the event bus did not acknowledge within ${options.timeoutMs} ms; retry later (eventIds make retries safe)`, {
        headers: { 'retry-after': '5' },
      })
    }
  } catch (err) {
    if (err instanceof ApiError) throw err
    options.log.warn({ err, topic }, 'publish failed')
    throw new ApiError('unavailable', 'the event bus is unavailable; retry later (eventIds make retries safe)', { headers: { 'retry-after': '5' } })
  } finally {
    clearTimeout(timer)
  }
}
