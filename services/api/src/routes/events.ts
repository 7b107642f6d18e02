import { churnEventSchema, MAX_EVENT_BYTES, parseEvent, type ChurnEvent, type ValidationIssue } from '@churnwatch/contract'
import type { OutgoingMessage } from '@churnwatch/kafka'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { badRequest, type FieldError } from '../errors.js'
import { publishWithin } from '../publish.js'
import { problemResponses, securityRequirement } from '../schemas.js'

const MAX_BATCH = 1_000

type Checked = { ok: true; event: ChurnEvent; bytes: Buffer } | { ok: false; issues: ValidationIssue[] }

/**
 * The same check the Kafka consumers apply (parseEvent: contract schema, size limit, messages), so an
 * event accepted here is never dead-lettered downstream. The bytes published are what the client sent.
 */
function check(value: unknown): Checked {
  const text = JSON.stringify(value) ?? ''
  const parsed = parseEvent(text)
  return parsed.ok ? { ok: true, event: parsed.event, bytes: Buffer.from(text) } : parsed
}

const prefixed = (prefix: string, issues: readonly ValidationIssue[]): FieldError[] =>
  issues.map((i) => ({ path: i.path === '' ? prefix : `${prefix}.${i.path}`, message: i.message }))

const acceptedSchema = z.object({
  status: z.literal('accepted'),
  eventId: z.string(),
  customerId: z.string(),
  topic: z.string().describe('Where it was published, keyed by customerId'),
})

const resultSchema = z.object({
  index: z.int().describe('Position in the request’s events array'),
  status: z.enum(['accepted', 'rejected']),
  eventId: z.string().nullable(),
  errors: z.array(z.object({ path: z.string().describe('Path inside the event'), message: z.string() })),
})

// The body is documented with the contract's schema but checked in the handler with parseEvent, so
// that intake and the Kafka consumers share one implementation and one set of messages.
const passThrough = () => (data: unknown) => ({ value: data })

/** POST /v1/events and POST /v1/events/batch: HTTP intake to churn.usage.v1 / churn.billing.v1 / churn.accounts.v1. */
export const eventRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const topicByKind: Record<ChurnEvent['kind'], string> = {
    usage: ctx.topics.usage,
    billing: ctx.topics.billing,
    account: ctx.topics.accounts,
  }
  const topicOf = (event: ChurnEvent) => topicByKind[event.kind]
  const publishOptions = { timeoutMs: ctx.options.publishTimeoutMs, log: ctx.log }

  async function publish(events: ReadonlyArray<{ event: ChurnEvent; bytes: Buffer }>): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>()
    for (const { event, bytes } of events) {
      const topic = topicOf(event)
      const list = byTopic.get(topic) ?? []
      list.push({ key: event.customerId, value: bytes })
      byTopic.set(topic, list)
    }
    await Promise.all([...byTopic].map(([topic, messages]) => publishWithin(ctx.publisher, topic, messages, publishOptions)))
  }

  app.post(
    '/v1/events',
    {
      config: { access: 'events:write', bodyCheckedByHandler: true },
      validatorCompiler: passThrough,
      schema: {
        tags: ['events'],
        summary: 'Publish one usage, billing or account event',
        description: `Validated against the event contract (the same rules and messages as the Kafka consumers; at most ${MAX_EVENT_BYTES} bytes), then published to churn.usage.v1, churn.billing.v1 or churn.accounts.v1 (by kind) keyed by customerId. 202 means Kafka acknowledged it. A repeated eventId is a duplicate and changes nothing, so retries are safe. Scope: events:write.`,
        security: securityRequirement,
        body: churnEventSchema,
        response: { 202: acceptedSchema, ...problemResponses(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const checked = check(request.body)
      if (!checked.ok) {
        app.apiMetrics.events.inc({ kind: 'unknown', result: 'rejected' })
        const errors = prefixed('body', checked.issues)
        throw badRequest(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
      }
      await publish([checked])
      app.apiMetrics.events.inc({ kind: checked.event.kind, result: 'accepted' })
      return reply.code(202).send({ status: 'accepted', eventId: checked.event.eventId, customerId: checked.event.customerId, topic: topicOf(checked.event) })
    },
  )

  app.post(
    '/v1/events/batch',
    {
      config: { access: 'events:write', bodyCheckedByHandler: true },
      bodyLimit: ctx.options.eventsBatchBodyLimitBytes,
      validatorCompiler: passThrough,
      schema: {
        tags: ['events'],
        summary: `Publish up to ${MAX_BATCH} events, with a result per event`,
        description: `Each event is checked on its own: valid ones are published (one Kafka request per topic) and reported accepted, invalid ones rejected with field errors. 202 once Kafka acknowledged every accepted event; 503 (retry the batch) when it did not. Scope: events:write.`,
        security: securityRequirement,
        body: z.object({ events: z.array(churnEventSchema).min(1).max(MAX_BATCH) }),
        response: {
          202: z.object({ accepted: z.int(), rejected: z.int(), results: z.array(resultSchema) }),
          ...problemResponses(400, 401, 403, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as unknown
      const events = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { events?: unknown }).events : undefined
      if (!Array.isArray(events) || events.length === 0 || events.length > MAX_BATCH) {
        const message = Array.isArray(events) ? `must hold 1 to ${MAX_BATCH} events, got ${events.length}` : 'is required: an array of events'
        throw badRequest(`body.events: ${message}`, [{ path: 'body.events', message }])
      }
      const checked = events.map(check)
      const accepted = checked.flatMap((c) => (c.ok ? [c] : []))
      await publish(accepted)
      for (const c of checked) {
        if (c.ok) app.apiMetrics.events.inc({ kind: c.event.kind, result: 'accepted' })
        else app.apiMetrics.events.inc({ kind: 'unknown', result: 'rejected' })
      }
      return reply.code(202).send({
        accepted: accepted.length,
        rejected: checked.length - accepted.length,
        results: checked.map((c, index) =>
          c.ok
            ? { index, status: 'accepted' as const, eventId: c.event.eventId, errors: [] }
            : { index, status: 'rejected' as const, eventId: eventIdOf(events[index]), errors: c.issues },
        ),
      })
    },
  )
}

function eventIdOf(value: unknown): string | null {
  const id = typeof value === 'object' && value !== null ? (value as { eventId?: unknown }).eventId : undefined
  return typeof id === 'string' ? id : null
}
