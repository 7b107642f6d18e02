import { COUNT_CHURN_AT, EARLY_CHURN_DAYS, GROUP_BYS, type ChurnPeriod } from '@churnwatch/metrics'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { badRequest } from '../errors.js'
import { createMetricsCache } from '../metrics-cache.js'
import { instantSchema, problemResponses, securityRequirement } from '../schemas.js'

const MAX_PERIODS = 520
const DAY_MS = 86_400_000
const PERIOD_DAYS = { week: 7, month: 28, quarter: 90 } as const

// Metrics-specific schemas (ADR 0014): kept in this file so that they document the formulas beside the route.
const splitSchema = z.object({ voluntary: z.int(), involuntary: z.int(), unknown: z.int().describe('end events without `voluntary`') })

const countChurnAtSchema = z
  .enum(COUNT_CHURN_AT, { error: 'countChurnAt must be end or cancel' })
  .default('end')
  .describe(
    'When a customer stops counting: `end` (default, the model’s label) at subscription_ended, canceling customers still count; `cancel` at the cancel request (an end with no cancel before it, e.g. a failed payment, counts at the end; an undone cancel is a reactivation)',
  )

const groupBySchema = z
  .enum(GROUP_BYS, { error: `groupBy must be one of ${GROUP_BYS.join(', ')}` })
  .optional()
  .describe(
    'Also split every figure by segment, plan, ownerId or interval (the billing interval of the contract, sent or inferred from invoices: day, week, month, year, or N-month for intervalCount N; not the `interval` of the periods). A customer at a period’s start takes its value just before the start; a customer joining in the period, its value when it joins; unknown values form the group null. See ADR 0014',
  )

const periodSchema = z.object({
  period: z.string().describe("'YYYY-MM', ISO 'YYYY-Www' or 'YYYY-Qn'"),
  start: z.string(),
  end: z.string(),
  customersAtStart: z.int().describe('Customers just before start (active, or canceling when countChurnAt=end): the base of every rate'),
  newCustomers: z.int().describe('First ever starts in the period'),
  reactivations: z.int().describe('Returns after a churn (a reactivation, or a new subscription_started after an end)'),
  churned: z.int().describe('Customers at start who churned in the period (each once)'),
  churnedNewInPeriod: z.int().describe('Customers who started (or came back) and churned within the period'),
  customerChurnRate: z.number().nullable().describe('churned / customersAtStart; null without a base'),
  mrrAtStart: z.int(),
  newMrr: z.int(),
  reactivationMrr: z.int(),
  expansionMrr: z.int().describe('MRR increases of customers at start, before their churn'),
  contractionMrr: z.int().describe('MRR decreases of customers at start, before their churn'),
  churnedMrr: z.int().describe('MRR just before churning, of the customers counted in churned'),
  grossMrrChurnRate: z.number().nullable().describe('(churnedMrr + contractionMrr) / mrrAtStart'),
  netMrrChurnRate: z.number().nullable().describe('(churnedMrr + contractionMrr - expansionMrr) / mrrAtStart; negative when expansion wins'),
  churnedByKind: splitSchema,
  churnedMrrByKind: splitSchema,
  earlyChurn: z.int().describe(`Churns in the period within ${EARLY_CHURN_DAYS} days of the start of the customer's current subscription`),
  cancellationReasons: z.record(z.string(), z.int()).describe('Departure decisions by reason (cancels, and ends without a prior cancel); no reason = unknown'),
  cancellationsByReason: z
    .array(z.object({ reason: z.string(), kind: z.enum(['voluntary', 'involuntary', 'unknown']), count: z.int(), mrr: z.int().describe('MRR just before the decision') }))
    .describe('The same decisions by reason and by the decision event’s `voluntary` (absent = unknown), with the MRR they held; sorted by reason, kind'),
  customersAtEnd: z.int().describe('Customers just before end (the next period’s customersAtStart)'),
  mrrAtEnd: z.int(),
  arpa: z.int().nullable().describe('Average revenue per account: mrrAtStart / customersAtStart, rounded to minor units'),
  monthlyCustomerChurnRate: z
    .number()
    .nullable()
    .describe('1 - (1 - customerChurnRate)^(1 / months in the period): the churn rate itself for a whole month; a quarter is 3 months, a week 7 / 30.4375, a period cut by `to` pro rata'),
  ltv: z.int().nullable().describe('Customer lifetime value: ARPA / monthlyCustomerChurnRate (unrounded), minor units; null when nobody churned (unbounded)'),
  ltvGrossMargin: z.int().nullable().describe('ltv × grossMargin'),
  grr: z.number().nullable().describe('Gross revenue retention: (mrrAtStart - churnedMrr - contractionMrr) / mrrAtStart'),
  nrr: z.number().nullable().describe('Net revenue retention: (mrrAtStart - churnedMrr - contractionMrr + expansionMrr) / mrrAtStart'),
  grrTrailing12m: z.number().nullable().describe('GRR over the 12 calendar months ending at `end`, for the customers (and their MRR) just before its start'),
  nrrTrailing12m: z.number().nullable().describe('NRR over the same 12 months and customers'),
  movements: z
    .object({ newMrr: z.int(), expansionMrr: z.int(), reactivationMrr: z.int(), contractionMrr: z.int(), churnedMrr: z.int() })
    .describe('MRR movements of every customer (new and returning ones’ changes and churn included): mrrAtStart + new + expansion + reactivation - contraction - churned = mrrAtEnd'),
  quickRatio: z.number().nullable().describe('(movements.newMrr + expansionMrr + reactivationMrr) / (movements.churnedMrr + contractionMrr); null when nothing was lost'),
  earlyChurnByTenure: z
    .object({ days0to7: z.int(), days8to30: z.int(), days31to90: z.int() })
    .describe('Starts in the period (newCustomers + reactivations) that churned within 0-7, 8-30 or 31-90 days (tenure in days, upper bounds inclusive), seen up to `to`'),
  earlyChurnRate: z.number().nullable().describe('(days0to7 + days8to30 + days31to90) / (newCustomers + reactivations); null without starts'),
  earlyChurnMature: z.boolean().describe('True when `to` is at least 90 days after `end`: every start has been followed for 90 days'),
})

const CHURN_DEFINITION =
  'A customer churns at the occurredAt of subscription_ended (the model’s label); canceling customers still count as customers until then.'
const CANCEL_DEFINITION =
  'countChurnAt=cancel: a customer churns at its subscription_canceled (or at a subscription_ended with no cancel before it); canceling customers no longer count.'

const iso = (ms: number) => new Date(ms).toISOString()
const periodJson = (p: ChurnPeriod) => ({ ...p, start: iso(p.start), end: iso(p.end) })

/**
 * GET /v1/metrics/churn and /v1/metrics/retention, computed by @churnwatch/metrics from stored
 * billing and account history, kept in memory and refreshed per request by metrics-cache (ADR 0014).
 */
export const metricsRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const cache = createMetricsCache(ctx.pool)
  app.get(
    '/v1/metrics/churn',
    {
      config: { access: 'read' },
      schema: {
        tags: ['metrics'],
        summary: 'Churn, MRR churn, revenue retention, LTV and quick ratio per period',
        description: `${CHURN_DEFINITION} ${CANCEL_DEFINITION} Each field documents its formula; money in integer minor units; rates rounded to 6 decimals. Scope: read.`,
        security: securityRequirement,
        querystring: z.object({
          from: instantSchema.optional().describe('Inclusive; rounded down to its period start. Default: 12 periods before `to`'),
          to: instantSchema.optional().describe('Exclusive; the last period is cut here. Default: now'),
          interval: z.enum(['week', 'month', 'quarter'], { error: 'interval must be week, month or quarter' }).default('month'),
          countChurnAt: countChurnAtSchema,
          groupBy: groupBySchema,
          grossMargin: z.coerce
            .number({ error: 'grossMargin must be a number in (0, 1]' })
            .gt(0, { error: 'grossMargin must be a number in (0, 1]' })
            .lte(1, { error: 'grossMargin must be a number in (0, 1]' })
            .default(1)
            .describe('Gross margin for ltvGrossMargin, in (0, 1] (default 1)'),
        }),
        response: {
          200: z.object({
            from: z.string(),
            to: z.string(),
            interval: z.string(),
            countChurnAt: z.string(),
            groupBy: z.string().nullable(),
            grossMargin: z.number(),
            definition: z.string(),
            periods: z.array(periodSchema).describe('Every customer'),
            groups: z
              .array(z.object({ group: z.string().nullable().describe('null: unknown'), periods: z.array(periodSchema) }))
              .describe('With groupBy, the same periods per group (sorted, null last); counts and MRR add up to `periods`. Empty without groupBy'),
          }),
          ...problemResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const { interval, countChurnAt, groupBy, grossMargin } = request.query
      const to = request.query.to ? Date.parse(request.query.to) : ctx.now().getTime()
      const from = request.query.from ? Date.parse(request.query.from) : to - 12 * PERIOD_DAYS[interval] * DAY_MS
      if (from >= to) throw badRequest('from must be before to', [{ path: 'query.from', message: 'must be before to' }])
      if ((to - from) / (PERIOD_DAYS[interval] * DAY_MS) > MAX_PERIODS) {
        throw badRequest(`the range holds more than ${MAX_PERIODS} ${interval}s; narrow it or use a longer interval`, [
          { path: 'query.from', message: `range too long for interval ${interval}` },
        ])
      }
      const report = await cache.churn({ from, to, interval, countChurnAt, grossMargin, ...(groupBy ? { groupBy } : {}) })
      return {
        from: iso(from),
        to: iso(to),
        interval,
        countChurnAt,
        groupBy: groupBy ?? null,
        grossMargin,
        definition: countChurnAt === 'end' ? CHURN_DEFINITION : CANCEL_DEFINITION,
        periods: report.periods.map(periodJson),
        groups: report.groups.map((g) => ({ group: g.group, periods: g.periods.map(periodJson) })),
      }
    },
  )

  const cohortSchema = z.object({
    cohort: z.string().describe("'YYYY-MM'"),
    size: z.int(),
    retained: z.array(z.int()).describe('retained[0] = size; retained[k] = customers just before the start of month k after acquisition'),
    retainedRate: z.array(z.number()).describe('retained[k] / size'),
    retainedMrr: z.array(z.int()).describe('retainedMrr[0] = MRR at each first start; retainedMrr[k] = MRR of the customers in retained[k], expansion included'),
    retainedMrrRate: z.array(z.number().nullable()).describe('retainedMrr[k] / retainedMrr[0] (net MRR retention; above 1 when expansion outgrows churn)'),
  })

  app.get(
    '/v1/metrics/retention',
    {
      config: { access: 'read' },
      schema: {
        tags: ['metrics'],
        summary: 'Acquisition-cohort retention table, by customers and by MRR',
        description:
          'Customers grouped by the UTC month of their first subscription_started; retained[k] counts those still customers at the start of month k after it (reactivated ones included), retainedMrr[k] their MRR. With groupBy, each customer’s value at its first start. Scope: read.',
        security: securityRequirement,
        querystring: z.object({
          cohort: z.enum(['month'], { error: 'cohort must be month' }).default('month'),
          asOf: instantSchema.optional().describe('Use what was known at this instant. Default: now'),
          countChurnAt: countChurnAtSchema,
          groupBy: groupBySchema,
        }),
        response: {
          200: z.object({
            cohort: z.string(),
            asOf: z.string(),
            countChurnAt: z.string(),
            groupBy: z.string().nullable(),
            cohorts: z.array(cohortSchema),
            groups: z
              .array(z.object({ group: z.string().nullable(), cohorts: z.array(cohortSchema) }))
              .describe('With groupBy, the table per group (sorted, null last). Empty without groupBy'),
          }),
          ...problemResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const { cohort, countChurnAt, groupBy } = request.query
      const asOf = request.query.asOf ? Date.parse(request.query.asOf) : ctx.now().getTime()
      const report = await cache.retention({ asOf, cohort, countChurnAt, ...(groupBy ? { groupBy } : {}) })
      return { cohort, asOf: iso(asOf), countChurnAt, groupBy: groupBy ?? null, cohorts: report.cohorts, groups: report.groups }
    },
  )
}
