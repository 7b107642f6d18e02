import { churnMetrics, EARLY_CHURN_DAYS, retentionCohorts } from '@churnwatch/metrics'
import { readLifecycleHistories } from '@churnwatch/storage'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { badRequest } from '../errors.js'
import { instantSchema, problemResponses, securityRequirement } from '../schemas.js'

const MAX_PERIODS = 520
const DAY_MS = 86_400_000
const PERIOD_DAYS = { week: 7, month: 28, quarter: 90 } as const

const splitSchema = z.object({ voluntary: z.int(), involuntary: z.int(), unknown: z.int().describe('end events without `voluntary`') })

const periodSchema = z.object({
  period: z.string().describe("'YYYY-MM', ISO 'YYYY-Www' or 'YYYY-Qn'"),
  start: z.string(),
  end: z.string(),
  customersAtStart: z.int().describe('Active (or canceling) just before start: the base of every rate'),
  newCustomers: z.int(),
  reactivations: z.int(),
  churned: z.int().describe('Customers active at start whose subscription_ended fell in the period'),
  churnedNewInPeriod: z.int().describe('Customers who started (or came back) and ended within the period'),
  customerChurnRate: z.number().nullable().describe('churned / customersAtStart; null without a base'),
  mrrAtStart: z.int(),
  newMrr: z.int(),
  reactivationMrr: z.int(),
  expansionMrr: z.int(),
  contractionMrr: z.int(),
  churnedMrr: z.int(),
  grossMrrChurnRate: z.number().nullable().describe('(churnedMrr + contractionMrr) / mrrAtStart'),
  netMrrChurnRate: z.number().nullable().describe('(churnedMrr + contractionMrr - expansionMrr) / mrrAtStart; negative when expansion wins'),
  churnedByKind: splitSchema,
  churnedMrrByKind: splitSchema,
  earlyChurn: z.int().describe(`Ends within ${EARLY_CHURN_DAYS} days of the start of the customer's current subscription`),
  cancellationReasons: z.record(z.string(), z.int()).describe('Departure decisions by reason (cancels, and ends without a prior cancel)'),
})

const CHURN_DEFINITION =
  'A customer churns at the occurredAt of subscription_ended (the model’s label); canceling customers still count as customers until then.'

/** GET /v1/metrics/churn and /v1/metrics/retention, computed by @churnwatch/metrics from stored billing history. */
export const metricsRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  app.get(
    '/v1/metrics/churn',
    {
      config: { access: 'read' },
      schema: {
        tags: ['metrics'],
        summary: 'Churn and MRR churn per period',
        description: `${CHURN_DEFINITION} Money in integer minor units; rates rounded to 6 decimals. Scope: read.`,
        security: securityRequirement,
        querystring: z.object({
          from: instantSchema.optional().describe('Inclusive; rounded down to its period start. Default: 12 periods before `to`'),
          to: instantSchema.optional().describe('Exclusive; the last period is cut here. Default: now'),
          interval: z.enum(['week', 'month', 'quarter'], { error: 'interval must be week, month or quarter' }).default('month'),
        }),
        response: {
          200: z.object({ from: z.string(), to: z.string(), interval: z.string(), definition: z.string(), periods: z.array(periodSchema) }),
          ...problemResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const { interval } = request.query
      const to = request.query.to ? Date.parse(request.query.to) : ctx.now().getTime()
      const from = request.query.from ? Date.parse(request.query.from) : to - 12 * PERIOD_DAYS[interval] * DAY_MS
      if (from >= to) throw badRequest('from must be before to', [{ path: 'query.from', message: 'must be before to' }])
      if ((to - from) / (PERIOD_DAYS[interval] * DAY_MS) > MAX_PERIODS) {
        throw badRequest(`the range holds more than ${MAX_PERIODS} ${interval}s; narrow it or use a longer interval`, [
          { path: 'query.from', message: `range too long for interval ${interval}` },
        ])
      }
      const histories = await readLifecycleHistories(ctx.pool, { until: new Date(to) })
      const periods = churnMetrics(histories, { from, to, interval }).map((p) => ({
        ...p,
        start: new Date(p.start).toISOString(),
        end: new Date(p.end).toISOString(),
      }))
      return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), interval, definition: CHURN_DEFINITION, periods }
    },
  )

  app.get(
    '/v1/metrics/retention',
    {
      config: { access: 'read' },
      schema: {
        tags: ['metrics'],
        summary: 'Acquisition-cohort retention table',
        description:
          'Customers grouped by the UTC month of their first subscription_started; retained[k] counts those still customers at the start of month k after it (reactivated ones included). Scope: read.',
        security: securityRequirement,
        querystring: z.object({
          cohort: z.enum(['month'], { error: 'cohort must be month' }).default('month'),
          asOf: instantSchema.optional().describe('Use what was known at this instant. Default: now'),
        }),
        response: {
          200: z.object({
            cohort: z.string(),
            asOf: z.string(),
            cohorts: z.array(
              z.object({
                cohort: z.string().describe("'YYYY-MM'"),
                size: z.int(),
                retained: z.array(z.int()).describe('retained[0] = size'),
                retainedRate: z.array(z.number()),
              }),
            ),
          }),
          ...problemResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const asOf = request.query.asOf ? Date.parse(request.query.asOf) : ctx.now().getTime()
      const histories = await readLifecycleHistories(ctx.pool, { until: new Date(asOf + 1) })
      return { cohort: request.query.cohort, asOf: new Date(asOf).toISOString(), cohorts: retentionCohorts(histories, { asOf, cohort: request.query.cohort }) }
    },
  )
}
