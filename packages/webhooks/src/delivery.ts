import { performance } from 'node:perf_hooks'
import type {
  WebhookAttemptOutcome as AttemptOutcome,
  WebhookOutboxMessage as OutboxMessage,
  WebhookStore,
} from '@churnwatch/contract'
import { Counter, Histogram, type Logger, type Registry } from '@churnwatch/observability'
import { Agent, fetch, type Response } from 'undici'
import { createDestinationGuard, type ResolveHost } from './destination-guard.js'
import { DestinationRefusedError, invalidOptionsError } from './errors.js'
import { DEFAULT_BACKOFF, nextAttemptDelayMs, type BackoffOptions } from './schedule.js'
import { webhookHeaders } from './signing.js'

export const USER_AGENT = 'churnwatch-webhooks/1'
/** The event type sent to the other subscribers when an endpoint is disabled. */
export const ENDPOINT_DISABLED_EVENT = 'endpoint_disabled'
const DAY_MS = 24 * 60 * 60 * 1000
const ERROR_SNIPPET_CHARS = 256
const RESPONSE_READ_BYTES = 1024

/** What the service hears when an endpoint was disabled, to raise its own alert. */
export interface EndpointDisabled {
  endpointId: string
  description: string
  reason: string
  failingSince: Date
  disabledAt: Date
}

export interface WebhookDispatcherOptions {
  store: WebhookStore
  log: Logger
  registry?: Registry
  /**
   * Deliver to loopback and private networks (RFC 1918, 100.64/10, fc00::/7). Off by default:
   * an API key could otherwise probe the internal network through the delivery log. Link-local
   * and cloud metadata addresses are refused either way.
   */
  allowPrivateNetworks?: boolean
  /** How host names resolve at connect time; tests inject one to reach addresses no resolver here returns. */
  resolveHost?: ResolveHost
  /** The clock for scheduling and signatures; injected by tests to drive days in a second. */
  now?: () => Date
  random?: () => number
  /** Per request, connect to last response byte read. */
  timeoutMs?: number
  batchSize?: number
  pollIntervalMs?: number
  /** A message is retried until it is this old (from creation or manual redelivery), then dead. */
  maxAgeMs?: number
  /** An endpoint failing continuously this long is disabled. Defaults to maxAgeMs. */
  disableAfterMs?: number
  /** How long a claim keeps other workers off a message; must exceed timeoutMs. */
  leaseMs?: number
  backoff?: BackoffOptions
  onEndpointDisabled?: (event: EndpointDisabled) => void | Promise<void>
}

export interface DispatchSummary {
  claimed: number
  delivered: number
  /** Failed attempts that will be retried. */
  failed: number
  dead: number
  endpointsDisabled: number
}

export interface WebhookDispatcher {
  /** Starts polling for due messages in the background. */
  start: () => Promise<void>
  /** Lets the batch in flight finish (bounded by timeoutMs), then stops polling. */
  stop: () => Promise<void>
  /** Claims one batch of due messages and attempts each once. */
  runOnce: () => Promise<DispatchSummary>
}

type AttemptResult = 'delivered' | 'http_error' | 'timeout' | 'network_error' | 'refused'

/**
 * Delivers the webhook outbox: claims due messages, POSTs each with Standard Webhooks headers,
 * retries failures with capped exponential backoff and full jitter until the message is
 * `maxAgeMs` old (then dead), and disables an endpoint that has failed for `disableAfterMs`,
 * telling the other subscribers with an `endpoint_disabled` event.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const log = options.log.child({ component: 'webhook-dispatcher' })
  const store = options.store
  const guard = createDestinationGuard({
    allowPrivateNetworks: options.allowPrivateNetworks ?? false,
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  })
  // Every connection resolves through the guard, so the address checked is the address connected to.
  const agent = new Agent({ connect: { lookup: guard.lookup } })
  const clock = options.now ?? (() => new Date())
  const random = options.random ?? Math.random
  const timeoutMs = options.timeoutMs ?? 10_000
  const batchSize = options.batchSize ?? 50
  const pollIntervalMs = options.pollIntervalMs ?? 1_000
  const maxAgeMs = options.maxAgeMs ?? 3 * DAY_MS
  const disableAfterMs = options.disableAfterMs ?? maxAgeMs
  // The whole batch is sent in parallel, so one request's timeout bounds it; leave room for the DB.
  const leaseMs = options.leaseMs ?? Math.max(60_000, 3 * timeoutMs)
  // A lease that ends mid-request would let another worker send the same message concurrently.
  if (leaseMs <= timeoutMs) throw invalidOptionsError(`leaseMs (${leaseMs}) must exceed timeoutMs (${timeoutMs})`)
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff }
  const metrics = createDispatcherMetrics(options.registry)

  let running = false
  let loop: Promise<void> | undefined
  let wake: (() => void) | undefined

  async function runOnce(): Promise<DispatchSummary> {
    const messages = await store.claimDueMessages({ limit: batchSize, now: clock(), leaseMs })
    const summary: DispatchSummary = { claimed: messages.length, delivered: 0, failed: 0, dead: 0, endpointsDisabled: 0 }
    const outcomes = await Promise.all(messages.map((message) => deliver(message)))
    for (const outcome of outcomes) {
      summary[outcome.status] += 1
      if (outcome.disabledEndpoint) summary.endpointsDisabled += 1
    }
    return summary
  }

  async function deliver(message: OutboxMessage): Promise<{ status: AttemptOutcome['status']; disabledEndpoint: boolean }> {
    const attemptedAt = clock()
    const sent = await post(message, attemptedAt)
    const finishedAt = clock()
    const outcome = decideOutcome(message, sent.result === 'delivered', finishedAt)
    metrics.deliveries.inc({ result: sent.result })
    metrics.latency.observe({ result: sent.result }, sent.latencyMs / 1000)
    if (outcome.status === 'dead') metrics.dead.inc()

    const recorded = await store.recordAttempt({
      messageId: message.messageId,
      endpointId: message.endpointId,
      leaseUntil: message.leaseUntil,
      attemptedAt,
      statusCode: sent.statusCode,
      latencyMs: sent.latencyMs,
      error: sent.error,
      outcome,
    })
    if (outcome.status === 'delivered') {
      log.debug({ endpointId: message.endpointId, messageId: message.messageId, statusCode: sent.statusCode }, 'webhook delivered')
      return { status: outcome.status, disabledEndpoint: false }
    }
    log.warn(
      {
        endpointId: message.endpointId,
        messageId: message.messageId,
        eventType: message.eventType,
        statusCode: sent.statusCode,
        error: sent.error,
        ...(sent.refusedAddress ? { refusedAddress: sent.refusedAddress } : {}),
        attempt: message.attempts + 1,
        nextAttemptAt: outcome.status === 'failed' ? outcome.nextAttemptAt.toISOString() : null,
        dead: outcome.status === 'dead',
        applied: recorded.applied,
      },
      'webhook delivery failed',
    )
    const failingSince = recorded.endpointFailingSince
    const disabledEndpoint =
      failingSince !== null && finishedAt.getTime() - failingSince.getTime() >= disableAfterMs
        ? await disableFailingEndpoint(message, failingSince, finishedAt)
        : false
    return { status: outcome.status, disabledEndpoint }
  }

  function decideOutcome(message: OutboxMessage, ok: boolean, at: Date): AttemptOutcome {
    if (ok) return { status: 'delivered' }
    const deadline = message.retryWindowStart.getTime() + maxAgeMs
    if (at.getTime() >= deadline) return { status: 'dead' }
    // Clamped so that the last try happens when the window closes, not up to an hour after.
    const delayMs = nextAttemptDelayMs(message.attempts + 1, random, backoff)
    return { status: 'failed', nextAttemptAt: new Date(Math.min(at.getTime() + delayMs, deadline)) }
  }

  async function post(message: OutboxMessage, attemptedAt: Date): Promise<SendResult> {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    try {
      // A literal address never reaches `lookup`: check it here.
      const literal = guard.checkLiteral(message.url)
      if (!literal.ok) return refused(literal.reason, literal.refusal.address, elapsed())
      const body = JSON.stringify({ type: message.eventType, timestamp: message.createdAt.toISOString(), data: message.payload })
      const headers = {
        ...webhookHeaders({
          id: message.messageId,
          timestamp: Math.floor(attemptedAt.getTime() / 1000),
          body,
          secret: message.secret,
        }),
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
      }
      // redirect: 'manual': a 3xx is a failure; following it would send the signed body elsewhere.
      const response = await fetch(message.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher: agent,
      })
      const latencyMs = elapsed()
      if (response.status >= 200 && response.status < 300) {
        // Nobody reads a success body; cancelling frees the connection. A failure to cancel changes nothing.
        await response.body?.cancel().catch(() => undefined)
        return { result: 'delivered', statusCode: response.status, latencyMs, error: null }
      }
      const snippet = await readSnippet(response)
      const error = `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`.slice(0, ERROR_SNIPPET_CHARS)
      return { result: 'http_error', statusCode: response.status, latencyMs, error }
    } catch (err) {
      const latencyMs = elapsed()
      if (isTimeout(err)) return { result: 'timeout', statusCode: null, latencyMs, error: `timeout after ${timeoutMs} ms` }
      const refusal = refusalOf(err)
      if (refusal) return refused(refusal.message, refusal.address, latencyMs)
      return { result: 'network_error', statusCode: null, latencyMs, error: describeNetworkError(err) }
    }
  }

  async function disableFailingEndpoint(message: OutboxMessage, failingSince: Date, now: Date): Promise<boolean> {
    const reason = `deliveries failing continuously since ${failingSince.toISOString()}`
    const event: EndpointDisabled = {
      endpointId: message.endpointId,
      description: message.endpointDescription,
      reason,
      failingSince,
      disabledAt: now,
    }
    const disabled = await store.disableEndpoint({
      endpointId: message.endpointId,
      reason,
      now,
      notify: {
        eventType: ENDPOINT_DISABLED_EVENT,
        payload: {
          endpointId: event.endpointId,
          description: event.description,
          reason,
          failingSince: failingSince.toISOString(),
          disabledAt: now.toISOString(),
        },
        // One notification per failure streak, however many workers notice it.
        messageIdPrefix: `${ENDPOINT_DISABLED_EVENT}:${message.endpointId}:${failingSince.toISOString()}`,
      },
    })
    if (!disabled) return false
    metrics.disabled.inc()
    log.error({ endpointId: message.endpointId, failingSince: failingSince.toISOString(), reason }, 'webhook endpoint disabled')
    try {
      await options.onEndpointDisabled?.(event)
    } catch (err) {
      log.error({ err, endpointId: message.endpointId }, 'onEndpointDisabled failed')
    }
    return true
  }

  async function pollLoop(): Promise<void> {
    while (running) {
      let full = false
      try {
        full = (await runOnce()).claimed >= batchSize
      } catch (err) {
        // The claimed messages keep their lease and come back after it; nothing is lost.
        log.error({ err }, 'webhook dispatch failed')
      }
      if (running && !full) await pause(pollIntervalMs)
    }
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })
  }

  return {
    runOnce,
    async start() {
      if (running) return
      running = true
      loop = pollLoop()
      log.info({ batchSize, pollIntervalMs, timeoutMs }, 'webhook dispatcher started')
    },
    async stop() {
      if (!running) return
      running = false
      wake?.()
      await loop
      loop = undefined
      log.info({}, 'webhook dispatcher stopped')
    },
  }
}

interface SendResult {
  result: AttemptResult
  statusCode: number | null
  latencyMs: number
  error: string | null
  /** The refused address, for the operator's log (never the delivery log, which API clients read). */
  refusedAddress?: string
}

function refused(reason: string, address: string, latencyMs: number): SendResult {
  return { result: 'refused', statusCode: null, latencyMs, error: `destination refused: ${reason}`.slice(0, ERROR_SNIPPET_CHARS), refusedAddress: address }
}

/** The guard's refusal, which undici reports as "fetch failed" with the lookup's error as `cause`. */
function refusalOf(err: unknown): DestinationRefusedError | undefined {
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 4; at = at.cause, depth++) {
    if (at instanceof DestinationRefusedError) return at
  }
  return undefined
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err.name === 'AbortError' && err.cause instanceof Error && err.cause.name === 'TimeoutError'))
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  // undici reports "fetch failed" and puts the reason (ECONNREFUSED, ENOTFOUND, ...) in `cause`.
  const cause: unknown = err.cause
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return `network error: ${typeof code === 'string' ? code : cause.message}`.slice(0, ERROR_SNIPPET_CHARS)
  }
  return `network error: ${err.message}`.slice(0, ERROR_SNIPPET_CHARS)
}

/** The first bytes of an error response, for the delivery log; empty when unreadable. */
async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < RESPONSE_READ_BYTES) {
      // The stream's chunk type is `any` in Node's types; fetch bodies yield Uint8Array chunks.
      const chunk: { done: boolean; value?: unknown } = await reader.read()
      if (chunk.done || !(chunk.value instanceof Uint8Array)) break
      chunks.push(chunk.value)
      size += chunk.value.byteLength
    }
    return Buffer.concat(chunks).subarray(0, RESPONSE_READ_BYTES).toString('utf8').replace(/\s+/g, ' ').trim()
  } catch {
    // A body that stalls or breaks after the status line adds nothing the status code does not say.
    return ''
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}

function createDispatcherMetrics(registry: Registry | undefined) {
  const registers = registry ? [registry] : []
  return {
    deliveries: new Counter({
      name: 'churnwatch_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by result (delivered, http_error, timeout, network_error, refused)',
      labelNames: ['result'],
      registers,
    }),
    latency: new Histogram({
      name: 'churnwatch_webhook_delivery_seconds',
      help: 'Time from sending a webhook to its response status (or failure), by result',
      labelNames: ['result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    dead: new Counter({
      name: 'churnwatch_webhook_messages_dead_total',
      help: 'Webhook messages given up after their retry window',
      registers,
    }),
    disabled: new Counter({
      name: 'churnwatch_webhook_endpoints_disabled_total',
      help: 'Webhook endpoints disabled after failing continuously',
      registers,
    }),
  }
}
