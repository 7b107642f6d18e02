import { ALERT_KINDS, RISK_CHANGED_EVENT } from '@churnwatch/contract'
import {
  ALL_WEBHOOK_EVENTS,
  createEndpoint,
  deleteEndpoint,
  deliveryMessageId,
  enqueueTestWebhook,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  redeliver,
  type WebhookEndpoint,
  type WebhookMessage,
} from '@churnwatch/storage'
import { ENDPOINT_DISABLED_EVENT, generateSecret } from '@churnwatch/webhooks'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { badRequest, conflict, notFound } from '../errors.js'
import { problemResponses, securityRequirement } from '../schemas.js'

const EVENT_KINDS = [...ALERT_KINDS, RISK_CHANGED_EVENT, ENDPOINT_DISABLED_EVENT, ALL_WEBHOOK_EVENTS] as const

const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  eventKinds: z.array(z.string()),
  description: z.string(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  failingSince: z.string().nullable().describe('First failed attempt since the last success'),
  createdAt: z.string(),
  // Issue 13 (ADR 0015): routing filters, null when not set.
  ownerIds: z.array(z.string()).nullable().describe('Only alerts of customers with one of these owners'),
  segments: z.array(z.string()).nullable().describe('Only alerts of customers in one of these segments'),
  minRevenueAtRisk: z.int().nullable().describe('Only alerts with at least this revenue at risk (integer minor units)'),
})

const routingValueList = (name: string) =>
  z
    .array(z.string().min(1, 'must be 1-128 characters').max(128, 'must be 1-128 characters'))
    .min(1, `must name at least one ${name} (leave it out to receive every ${name})`)
    .max(100, `must name at most 100 ${name}s`)
    .optional()

const messageSchema = z.object({
  messageId: z.string().describe('The webhook-id header value; the same on every retry and redelivery'),
  endpointId: z.string(),
  eventType: z.string(),
  status: z.enum(['pending', 'delivered', 'failed', 'dead']),
  attempts: z.int(),
  createdAt: z.string(),
  nextAttemptAt: z.string(),
  deliveredAt: z.string().nullable(),
  lastError: z.string().nullable(),
})

const deliverySchema = z.object({
  id: z.int(),
  messageId: z.string(),
  attemptedAt: z.string(),
  statusCode: z.int().nullable().describe('null when no HTTP response came back'),
  latencyMs: z.int(),
  ok: z.boolean(),
  error: z.string().nullable(),
})

const idParams = z.object({ id: z.string().min(1).max(128) })

function toEndpoint(e: WebhookEndpoint): z.infer<typeof endpointSchema> {
  return {
    id: e.id,
    url: e.url,
    eventKinds: e.eventKinds,
    description: e.description,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    failingSince: e.failingSince?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
    ownerIds: e.ownerIds,
    segments: e.segments,
    minRevenueAtRisk: e.minRevenueAtRisk,
  }
}

function toMessage(m: WebhookMessage): z.infer<typeof messageSchema> {
  return {
    messageId: m.messageId,
    endpointId: m.endpointId,
    eventType: m.eventType,
    status: m.status,
    attempts: m.attempts,
    createdAt: m.createdAt.toISOString(),
    nextAttemptAt: m.nextAttemptAt.toISOString(),
    deliveredAt: m.deliveredAt?.toISOString() ?? null,
    lastError: m.lastError,
  }
}

/** Webhook endpoints, their delivery log, test messages and redelivery. All need the admin scope. */
export const webhookRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const common = { tags: ['webhooks'], security: securityRequirement }

  app.post(
    '/v1/webhooks',
    {
      config: { access: 'admin' },
      schema: {
        ...common,
        summary: 'Register an endpoint; the signing secret is returned once',
        description:
          'Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 with the secret). The secret is generated here and never shown again. A URL whose host is, or resolves to, a link-local or cloud metadata address is refused with 400, and so is loopback or a private network unless the server allows private networks (WEBHOOK_ALLOW_PRIVATE_NETWORKS); every delivery checks the address again. ownerIds, segments and minRevenueAtRisk narrow the alert kinds subscribed to (all must match; events without a customer, such as endpoint_disabled, are not filtered). Scope: admin.',
        body: z.object({
          url: z
            .url({ protocol: /^https?$/, error: 'must be an absolute http:// or https:// URL' })
            .max(2_048, 'must be at most 2048 characters')
            .refine((u) => !/^https?:\/\/[^/]*@/.test(u), { error: 'must not carry credentials (user:password@)' }),
          eventKinds: z
            .array(z.enum(EVENT_KINDS, { error: `must be one of: ${EVENT_KINDS.join(', ')}` }))
            .min(1, 'must name at least one event kind (or "*")')
            .describe('Alert kinds, endpoint_disabled, or * for everything'),
          description: z.string().max(500, 'must be at most 500 characters').optional(),
          ownerIds: routingValueList('owner').describe('Only alerts of customers owned by one of these (account ownerId); omit for any owner'),
          segments: routingValueList('segment').describe('Only alerts of customers in one of these segments; omit for any segment'),
          minRevenueAtRisk: z
            .int({ error: 'must be a non-negative integer (minor units)' })
            .min(0, 'must be a non-negative integer (minor units)')
            .max(Number.MAX_SAFE_INTEGER, 'must be a non-negative integer (minor units)')
            .optional()
            .describe('Only alerts with at least this revenue at risk, integer minor units'),
        }),
        response: {
          201: endpointSchema.extend({ secret: z.string().describe('whsec_…: store it now, it is not shown again') }),
          ...problemResponses(400, 401, 403, 413, 429),
        },
      },
    },
    async (request, reply) => {
      // Early and clear; the dispatcher's check at each connection is the one that holds.
      const destination = await ctx.webhookDestinations.checkUrl(request.body.url)
      if (!destination.ok) {
        request.log.warn({ keyId: request.apiKey?.id, refusedAddress: destination.refusal.address }, 'webhook destination refused')
        throw badRequest(`body.url: ${destination.reason}`, [{ path: 'body.url', message: destination.reason }])
      }
      const secret = generateSecret()
      const endpoint = await createEndpoint(ctx.pool, {
        url: request.body.url,
        secret,
        eventKinds: [...new Set(request.body.eventKinds)],
        description: request.body.description ?? '',
        ...(request.body.ownerIds ? { ownerIds: [...new Set(request.body.ownerIds)] } : {}),
        ...(request.body.segments ? { segments: [...new Set(request.body.segments)] } : {}),
        ...(request.body.minRevenueAtRisk !== undefined ? { minRevenueAtRisk: request.body.minRevenueAtRisk } : {}),
        now: ctx.now(),
      })
      request.log.info({ endpointId: endpoint.id, keyId: request.apiKey?.id }, 'webhook endpoint created')
      return reply.code(201).send({ ...toEndpoint(endpoint), secret })
    },
  )

  app.get(
    '/v1/webhooks',
    {
      config: { access: 'admin' },
      schema: {
        ...common,
        summary: 'Registered endpoints (without secrets)',
        description: 'Scope: admin.',
        response: { 200: z.object({ data: z.array(endpointSchema) }), ...problemResponses(401, 403, 429) },
      },
    },
    async () => ({ data: (await listEndpoints(ctx.pool)).map(toEndpoint) }),
  )

  app.get(
    '/v1/webhooks/:id',
    {
      config: { access: 'admin' },
      schema: {
        ...common,
        summary: 'One endpoint (without its secret)',
        description: 'Scope: admin.',
        params: idParams,
        response: { 200: endpointSchema, ...problemResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      const endpoint = await getEndpoint(ctx.pool, request.params.id)
      if (!endpoint) throw notFound(`unknown webhook endpoint "${request.params.id}"`)
      return toEndpoint(endpoint)
    },
  )

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { access: 'admin' },
      schema: {
        ...common,
        summary: 'Remove an endpoint with its pending messages and delivery log',
        description: 'Scope: admin.',
        params: idParams,
        response: { 204: z.undefined().describe('Deleted'), ...problemResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      if (!(await deleteEndpoint(ctx.pool, request.params.id))) throw notFound(`unknown webhook endpoint "${request.params.id}"`)
      request.log.info({ endpointId: request.params.id, keyId: request.apiKey?.id }, 'webhook endpoint deleted')
      return reply.code(204).send()
    },
  )

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { access: 'admin' },
      schema: {
        ...common,
        summary: 'Delivery attempts of an endpoint, newest first',
        description: 'Page with before=<the last id seen>. Scope: admin.',
        params: idParams,
        querystring: z.object({
          limit: z.coerce
            .number({ error: 'limit must be an integer from 1 to 500' })
            .int({ error: 'limit must be an integer from 1 to 500' })
            .min(1, 'limit must be an integer from 1 to 500')
            .max(500, 'limit must be an integer from 1 to 500')
            .default(50),
          before: z.coerce.number({ error: 'before must be a delivery id' }).int({ error: 'before must be a delivery id' }).positive('before must be a delivery id').optional(),
        }),
        response: {
          200: z.object({ data: z.array(deliverySchema), nextBefore: z.int().nullable() }),
          ...problemResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request) => {
      const { id } = request.params
      if (!(await getEndpoint(ctx.pool, id))) throw notFound(`unknown webhook endpoint "${id}"`)
      const { limit, before } = request.query
      const rows = await listDeliveries(ctx.pool, id, { limit, ...(before !== undefined ? { before } : {}) })
      const last = rows[rows.length - 1]
      return {
        data: rows.map((d) => ({
          id: d.id,
          messageId: d.messageId,
          attemptedAt: d.attemptedAt.toISOString(),
          statusCode: d.statusCode,
          latencyMs: d.latencyMs,
          ok: d.ok,
          error: d.error,
        })),
        nextBefore: rows.length === limit && last ? last.id : null,
      }
    },
  )

  app.post(
    '/v1/webhooks/:id/test',
    {
      config: { access: 'admin' },
      schema: {
        ...common,
        summary: 'Send a test event to this endpoint',
        description:
          'Enqueues a `test` message for this endpoint only (whatever its subscriptions); the dispatcher signs and delivers it like any other, so its outcome shows in the delivery log. Scope: admin.',
        params: idParams,
        response: { 202: messageSchema, ...problemResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const endpoint = await getEndpoint(ctx.pool, request.params.id)
      if (!endpoint) throw notFound(`unknown webhook endpoint "${request.params.id}"`)
      if (!endpoint.enabled) throw conflict(`endpoint "${endpoint.id}" is disabled (${endpoint.disabledReason ?? 'no reason'}); it receives nothing`)
      const now = ctx.now()
      const payload = { endpointId: endpoint.id, requestedAt: now.toISOString(), message: 'Test event from churnwatch' }
      const messageId = await enqueueTestWebhook(ctx.pool, { endpointId: endpoint.id, payload, now })
      if (!messageId) throw notFound(`unknown webhook endpoint "${request.params.id}"`)
      return reply.code(202).send({
        messageId,
        endpointId: endpoint.id,
        eventType: 'test',
        status: 'pending',
        attempts: 0,
        createdAt: now.toISOString(),
        nextAttemptAt: now.toISOString(),
        deliveredAt: null,
        lastError: null,
      })
    },
  )

  app.post(
    '/v1/webhooks/deliveries/:id/redeliver',
    {
      config: { access: 'admin' },
      schema: {
        ...common,
        summary: 'Deliver a message again',
        description:
          'The id is a message id (msg_…, as in the delivery log) or a delivery-log id. The message becomes due now with a fresh retry window and keeps its webhook-id, so receivers can recognise it. Scope: admin.',
        params: idParams,
        response: { 202: messageSchema, ...problemResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const messageId = /^\d{1,15}$/.test(id) ? await deliveryMessageId(ctx.pool, Number(id)) : id
      const message = messageId ? await redeliver(ctx.pool, messageId, { now: ctx.now() }) : undefined
      if (!message) throw notFound(`unknown webhook message or delivery "${id}"`)
      request.log.info({ messageId: message.messageId, keyId: request.apiKey?.id }, 'webhook redelivery requested')
      return reply.code(202).send(toMessage(message))
    },
  )
}
