import { ALERT_KINDS, ALERT_STATUSES, alertChangeEvent, driverSchema } from '@churnwatch/contract'
import {
  acknowledgeAlert,
  listAlerts,
  recordAlertChanges,
  resolveAlert,
  withTransaction,
  type AlertTransition,
  type PoolClient,
} from '@churnwatch/storage'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { cursorInstantSchema, decodeCursor, encodeCursor, queryFingerprint } from '../cursor.js'
import { conflict, notFound } from '../errors.js'
import { cursorSchema, enumListSchema, instantSchema, limitSchema, problemResponses, securityRequirement } from '../schemas.js'

const alertSchema = z
  .object({
    alertId: z.string(),
    customerId: z.string(),
    kind: z.enum(ALERT_KINDS),
    status: z.enum(ALERT_STATUSES),
    probability: z.number(),
    revenueAtRisk: z.int().describe('integer minor units'),
    drivers: z.array(driverSchema),
    play: z.string().describe('Suggested customer-success action'),
    createdAt: z.string(),
    updatedAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    resolution: z.string().nullable(),
  })
  .describe('An alert raised by the scorer')

const alertIdParams = z.object({ id: z.string().min(1).max(128).describe('alertId') })
const alertCursorSchema = z.object({ q: z.string(), c: cursorInstantSchema, id: z.string().max(128) })

/** GET /v1/alerts, POST /v1/alerts/{id}/ack and /resolve. */
export const alertRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  app.get(
    '/v1/alerts',
    {
      config: { access: 'read' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first',
        description: 'Keyset-paged by (createdAt, alertId), which never change, so pages are stable. Scope: read.',
        security: securityRequirement,
        querystring: z.object({
          status: enumListSchema(ALERT_STATUSES, 'status'),
          kind: enumListSchema(ALERT_KINDS, 'kind'),
          since: instantSchema.optional().describe('Only alerts created at or after this instant'),
          limit: limitSchema(100, 1_000),
          cursor: cursorSchema,
        }),
        response: {
          200: z.object({ data: z.array(alertSchema), nextCursor: z.string().nullable() }),
          ...problemResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const { cursor, limit, status, kind, since } = request.query
      const fingerprint = queryFingerprint({ route: 'alerts', status: status?.join(','), kind: kind?.join(','), since })
      const after = cursor ? decodeCursor(cursor, alertCursorSchema, fingerprint) : undefined
      const page = await listAlerts(ctx.pool, {
        limit,
        ...(status ? { statuses: status } : {}),
        ...(kind ? { kinds: kind } : {}),
        ...(since ? { since } : {}),
        ...(after ? { after: { createdAt: after.c, alertId: after.id } } : {}),
      })
      return {
        data: page.alerts,
        nextCursor: page.next ? encodeCursor({ q: fingerprint, c: page.next.createdAt, id: page.next.alertId }) : null,
      }
    },
  )

  // Alert changes leave through the Kafka outbox, committed with the change: the answer never waits
  // for the broker, and a change the database does not hold is never published.
  /** Applies a status change; a real change goes to the webhook and Kafka outboxes in the same transaction. */
  async function transition(alertId: string, change: 'acknowledged' | 'resolved', apply: (tx: PoolClient) => Promise<AlertTransition>) {
    const result = await withTransaction(ctx.pool, async (tx) => {
      const outcome = await apply(tx)
      if (outcome.outcome === 'changed') {
        await recordAlertChanges(tx, ctx.topics.alerts, [alertChangeEvent(outcome.alert, change)])
      }
      return outcome
    })
    if (result.outcome === 'not_found') throw notFound(`unknown alert "${alertId}"`)
    if (result.outcome === 'conflict') throw conflict(`alert "${alertId}" is already resolved; it cannot be acknowledged`)
    // In the background: a broker outage must not hold the request (the rows wait in the outbox).
    void ctx.outbox.flush()
    return result.alert
  }

  const statusChangeSchema = {
    tags: ['alerts'],
    security: securityRequirement,
    params: alertIdParams,
    response: { 200: alertSchema, ...problemResponses(400, 401, 403, 404, 409, 429, 503) },
  }

  app.post(
    '/v1/alerts/:id/ack',
    {
      config: { access: 'admin' },
      schema: {
        ...statusChangeSchema,
        summary: 'Acknowledge an open alert',
        description: 'Idempotent: acknowledging an acknowledged alert returns it unchanged; a resolved one is a 409. Publishes the change to churn.alerts.v1 and subscribed webhooks. Scope: admin.',
      },
    },
    async (request) => transition(request.params.id, 'acknowledged', (tx) => acknowledgeAlert(tx, request.params.id, ctx.now())),
  )

  app.post(
    '/v1/alerts/:id/resolve',
    {
      config: { access: 'admin' },
      schema: {
        ...statusChangeSchema,
        summary: 'Resolve an open or acknowledged alert',
        description: 'Idempotent. The scorer may open a new alert of the same kind if the condition persists. Scope: admin.',
        body: z
          .object({ resolution: z.string().min(1, 'must be 1-500 characters').max(500, 'must be 1-500 characters').optional() })
          // Fastify hands over null when the request has no body.
          .nullish(),
      },
    },
    async (request) =>
      transition(request.params.id, 'resolved', (tx) =>
        resolveAlert(tx, request.params.id, ctx.now(), request.body?.resolution ?? 'resolved manually'),
      ),
  )
}
