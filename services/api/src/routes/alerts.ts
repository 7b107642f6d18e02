import { ALERT_KINDS, ALERT_STATUSES, alertChangeEvent, alertEventSchema, driverSchema, type AlertChangeKind } from '@churnwatch/contract'
import {
  acknowledgeAlert,
  listAlerts,
  recordAlertChanges,
  resolveAlert,
  snoozeAlert,
  withTransaction,
  type AlertTransition,
  type PoolClient,
} from '@churnwatch/storage'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { cursorInstantSchema, decodeCursor, encodeCursor, queryFingerprint } from '../cursor.js'
import { badRequest, conflict, notFound } from '../errors.js'
import { customerFilterQuery, filterFingerprintParts, textListSchema, toCustomerFilters } from '../filters.js'
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
    // Issue 13 (ADR 0015).
    ownerId: z.string().nullable().describe('The customer\'s account owner (current while the alert is live)'),
    segment: z.string().nullable().describe('The customer\'s segment (current while the alert is live)'),
    snoozedUntil: z.string().nullable().describe('Hidden from the default list until then, unless the risk rises further; null when not snoozed'),
    snoozeNote: z.string().nullable(),
    // Kind-specific details (ADR 0016), as on the alert event.
    renewalAt: alertEventSchema.shape.renewalAt,
    mrrAtStake: alertEventSchema.shape.mrrAtStake,
    reason: alertEventSchema.shape.reason,
    reasonCategory: alertEventSchema.shape.reasonCategory,
    scope: alertEventSchema.shape.scope,
  })
  .describe('An alert raised by the scorer')

const alertIdParams = z.object({ id: z.string().min(1).max(128).describe('alertId') })
// n: the instant the walk started (snoozes and renewalWithinDays count from it, so pages agree).
const alertCursorSchema = z.object({ q: z.string(), c: cursorInstantSchema, id: z.string().max(128), n: cursorInstantSchema.optional() })

type StoredAlert = Awaited<ReturnType<typeof listAlerts>>['alerts'][number]

function toAlert(a: StoredAlert): z.infer<typeof alertSchema> {
  return {
    alertId: a.alertId,
    customerId: a.customerId,
    kind: a.kind,
    status: a.status,
    probability: a.probability,
    revenueAtRisk: a.revenueAtRisk,
    drivers: a.drivers,
    play: a.play,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    acknowledgedAt: a.acknowledgedAt,
    resolvedAt: a.resolvedAt,
    resolution: a.resolution,
    ownerId: a.ownerId ?? null,
    segment: a.segment ?? null,
    snoozedUntil: a.snoozedUntil ?? null,
    snoozeNote: a.snoozeNote ?? null,
    ...(a.details ?? {}),
  }
}

/** GET /v1/alerts, POST /v1/alerts/{id}/ack and /resolve. */
export const alertRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  app.get(
    '/v1/alerts',
    {
      config: { access: 'read' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first',
        description: `Keyset-paged by (createdAt, alertId), which never change, so pages are stable. Filters combine with AND.
ownerId and segment are the alert's own (its customer's current ones while live); plan, band and renewalWithinDays
are the customer's current score (an alert of a customer without one does not match them). Snoozed alerts are
left out unless snoozed=include or snoozed=only. Scope: read.`,
        security: securityRequirement,
        querystring: z.object({
          status: enumListSchema(ALERT_STATUSES, 'status'),
          kind: enumListSchema(ALERT_KINDS, 'kind'),
          customerId: textListSchema('customerId', 'alerts of these customers'),
          ...customerFilterQuery,
          snoozed: z
            .enum(['exclude', 'include', 'only'], { error: 'snoozed must be exclude, include or only' })
            .default('exclude')
            .describe('Alerts snoozed now: left out (default), listed too, or listed alone'),
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
      const { cursor, limit, status, kind, since, customerId, snoozed, segment, plan, ownerId, band, renewalWithinDays } = request.query
      const customerParams = { segment, plan, ownerId, band, renewalWithinDays }
      const fingerprint = queryFingerprint({
        route: 'alerts',
        status: status?.join(','),
        kind: kind?.join(','),
        since,
        customerId: customerId ? [...new Set(customerId)].sort().join('\u0000') : undefined,
        snoozed,
        ...filterFingerprintParts(customerParams),
      })
      const after = cursor ? decodeCursor(cursor, alertCursorSchema, fingerprint) : undefined
      const anchor = after?.n ?? ctx.now().toISOString()
      const page = await listAlerts(ctx.pool, {
        limit,
        ...(status ? { statuses: status } : {}),
        ...(kind ? { kinds: kind } : {}),
        ...(customerId ? { customerIds: [...new Set(customerId)] } : {}),
        ...toCustomerFilters(customerParams, new Date(anchor)),
        snoozed: { filter: snoozed, now: anchor },
        ...(since ? { since } : {}),
        ...(after ? { after: { createdAt: after.c, alertId: after.id } } : {}),
      })
      return {
        data: page.alerts.map(toAlert),
        nextCursor: page.next ? encodeCursor({ q: fingerprint, c: page.next.createdAt, id: page.next.alertId, n: anchor }) : null,
      }
    },
  )

  // Alert changes leave through the Kafka outbox, committed with the change: the answer never waits
  // for the broker, and a change the database does not hold is never published.
  /** Applies a status change; a real change goes to the webhook and Kafka outboxes in the same transaction. */
  async function transition(alertId: string, change: AlertChangeKind, apply: (tx: PoolClient) => Promise<AlertTransition>) {
    const result = await withTransaction(ctx.pool, async (tx) => {
      const outcome = await apply(tx)
      if (outcome.outcome === 'changed') {
        await recordAlertChanges(tx, ctx.topics.alerts, [alertChangeEvent(outcome.alert, change)])
      }
      return outcome
    })
    if (result.outcome === 'not_found') throw notFound(`unknown alert "${alertId}"`)
    if (result.outcome === 'conflict') throw conflict(`alert "${alertId}" is already resolved; it cannot be ${change === 'snoozed' ? 'snoozed' : 'acknowledged'}`)
    // In the background: a broker outage must not hold the request (the rows wait in the outbox).
    void ctx.outbox.flush()
    return toAlert(result.alert)
  }

  const statusChangeSchema = {
    tags: ['alerts'],
    security: securityRequirement,
    params: alertIdParams,
    response: { 200: alertSchema, ...problemResponses(400, 401, 403, 404, 409, 429, 503) },
  }

  const MAX_SNOOZE_DAYS = 366

  app.post(
    '/v1/alerts/:id/ack',
    {
      config: { access: 'alerts:write' },
      schema: {
        ...statusChangeSchema,
        summary: 'Acknowledge an open alert',
        description: 'Idempotent: acknowledging an acknowledged alert returns it unchanged; a resolved one is a 409. Publishes the change to churn.alerts.v1 and subscribed webhooks. Scope: alerts:write (or admin).',
      },
    },
    async (request) => transition(request.params.id, 'acknowledged', (tx) => acknowledgeAlert(tx, request.params.id, ctx.now())),
  )

  app.post(
    '/v1/alerts/:id/resolve',
    {
      config: { access: 'alerts:write' },
      schema: {
        ...statusChangeSchema,
        summary: 'Resolve an open or acknowledged alert',
        description: 'Idempotent. The scorer may open a new alert of the same kind if the condition persists. Scope: alerts:write (or admin).',
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

  app.post(
    '/v1/alerts/:id/snooze',
    {
      config: { access: 'alerts:write' },
      schema: {
        ...statusChangeSchema,
        summary: 'Snooze a live alert until a date',
        description: `Hides an open or acknowledged alert from the default list until \`until\` (after now, at most ${MAX_SNOOZE_DAYS} days ahead).
It comes back earlier when the customer's risk rises further: its probability reaches the one at snooze time plus the
alert rules' update step (0.05), or its band goes up. Snoozing again moves the date. A resolved alert is a 409.
Publishes a \`snoozed\` change to churn.alerts.v1 and subscribed webhooks. Scope: alerts:write (or admin).`,
        body: z.object({
          until: instantSchema.meta({ format: 'date-time' }).describe('When the alert comes back (ISO-8601 instant with a zone)'),
          note: z.string().min(1, 'must be 1-500 characters').max(500, 'must be 1-500 characters').optional(),
        }),
      },
    },
    async (request) => {
      const at = ctx.now()
      const until = Date.parse(request.body.until)
      if (!(until > at.getTime())) {
        throw badRequest(`body.until must be after now (${at.toISOString()})`, [{ path: 'body.until', message: 'must be in the future' }])
      }
      if (until - at.getTime() > MAX_SNOOZE_DAYS * 86_400_000) {
        throw badRequest(`body.until must be at most ${MAX_SNOOZE_DAYS} days ahead`, [
          { path: 'body.until', message: `must be at most ${MAX_SNOOZE_DAYS} days ahead` },
        ])
      }
      return transition(request.params.id, 'snoozed', (tx) =>
        snoozeAlert(tx, request.params.id, { at, until: new Date(until).toISOString(), note: request.body.note ?? null }),
      )
    },
  )
}
