import { Readable } from 'node:stream'
import { driverSchema, RISK_BANDS } from '@churnwatch/contract'
import { csvLine } from '@churnwatch/csv'
import { knownCustomers, listScores, readScoreHistory, readScoresByIds, type ScoreListQuery, type StoredScore } from '@churnwatch/storage'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { cursorInstantSchema, decodeCursor, encodeCursor, malformedCursor, queryFingerprint, snapshotTextSchema } from '../cursor.js'
import { notFound } from '../errors.js'
import { customerFilterQuery, filterFingerprintParts, toCustomerFilters } from '../filters.js'
import { toRisk, toRiskListItem } from '../risk.js'
import {
  customerIdParamSchema,
  cursorSchema,
  instantSchema,
  limitSchema,
  problemResponses,
  riskListItemSchema,
  riskSchema,
  securityRequirement,
} from '../schemas.js'

const CSV_HEADER = [
  'customerId',
  'probability',
  'band',
  'revenueAtRisk',
  'mrr',
  'plan',
  'modelVersion',
  'asOf',
  'scoredAt',
  'changeSeq',
  'driver1',
  'driver2',
  'driver3',
  // Issue 13 (ADR 0015): appended, so importers that read columns by position keep working.
  'segment',
  'ownerId',
  'renewalAt',
]
const CSV_PAGE = 1_000

/** Sends JSON already serialised: a string under a JSON content type skips Fastify's serializer. */
function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(text)
}

const listQuerySchema = z.object({
  ...customerFilterQuery,
  minProbability: z.coerce
    .number({ error: 'minProbability must be a number from 0 to 1' })
    .min(0, 'minProbability must be a number from 0 to 1')
    .max(1, 'minProbability must be a number from 0 to 1')
    .optional()
    .describe('Only customers at or above this probability'),
  sort: z
    .enum(['revenueAtRisk', 'probability'], { error: 'sort must be revenueAtRisk or probability' })
    .default('revenueAtRisk')
    .describe('Ranking, highest first; ties broken by customerId'),
  updatedSince: instantSchema.optional().describe('Only customers rescored at or after this instant (scoredAt; includes sweeps)'),
  changedSince: z.coerce
    .number({ error: 'changedSince must be a non-negative integer (a changeSeq)' })
    .int({ error: 'changedSince must be a non-negative integer (a changeSeq)' })
    .min(0, 'changedSince must be a non-negative integer (a changeSeq)')
    .optional()
    .describe('Only customers whose score changed materially after this changeSeq (incremental sync)'),
  limit: limitSchema(undefined, 1_000).describe('Page size, 1-1000 (default 100). With Accept: text/csv: a cap on rows (default: all)'),
  cursor: cursorSchema,
})

// k is compared with a bigint (revenueAtRisk) or a float (probability) column: finite and within safe integers.
const listCursorSchema = z.object({
  q: z.string(),
  k: z.number().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  id: z.string().max(128),
  s: snapshotTextSchema,
  t: z.string().max(64),
  // The instant renewalWithinDays counts from, fixed for the walk so that pages agree.
  n: cursorInstantSchema.optional(),
})

// The list item with what the filters match on (issue 13); null when unknown.
const listItemSchema = riskListItemSchema.extend({
  segment: z.string().nullable().describe('Segment as of the score (account events)'),
  ownerId: z.string().nullable().describe('Account owner as of the score (account events)'),
  renewalAt: z.string().nullable().describe('Next renewal as of the score (end of the period paid for)'),
})

function toListItem(score: StoredScore): z.infer<typeof listItemSchema> {
  return { ...toRiskListItem(score), segment: score.segment ?? null, ownerId: score.ownerId ?? null, renewalAt: score.renewalAt ?? null }
}

const historyCursorSchema = z.object({ q: z.string(), a: cursorInstantSchema, v: z.string().max(256) })

/** GET /v1/customers/{id}/risk, its history, the ranked list (JSON or CSV) and batch-get. */
export const customerRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const lookups = app.apiMetrics.riskCache

  async function missingScoreProblem(customerId: string): Promise<Error> {
    const known = await knownCustomers(ctx.pool, [customerId])
    return known.has(customerId)
      ? notFound(`customer "${customerId}" has no current score: it is not an active subscriber or has not been scored yet`)
      : notFound(`unknown customer "${customerId}"`)
  }

  app.get(
    '/v1/customers/:id/risk',
    {
      config: { access: 'read' },
      schema: {
        tags: ['customers'],
        summary: 'Current churn risk of one customer',
        description: 'Probability, band, drivers (human sentences with values), revenue at risk, key features. Scope: read.',
        security: securityRequirement,
        params: customerIdParamSchema,
        response: { 200: riskSchema, ...problemResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const id = request.params.id
      const cache = ctx.riskCache
      if (cache?.enabled) {
        const document = cache.get(id)
        if (document !== undefined) {
          lookups.hit.inc()
          return sendJsonText(reply, document)
        }
        lookups.miss.inc()
      } else lookups.off.inc()
      // Taken before the read: a change heard while it runs keeps its result out of the cache.
      const ticket = cache?.ticket()
      const document = await ctx.riskDocuments.read(id)
      if (document === undefined) throw await missingScoreProblem(id)
      if (cache && ticket) cache.fill(id, document, ticket)
      // A string with a JSON content type is sent as it is: serialised (and checked) once above.
      return sendJsonText(reply, document)
    },
  )

  app.get(
    '/v1/customers/:id/risk/history',
    {
      config: { access: 'read' },
      schema: {
        tags: ['customers'],
        summary: 'Material score changes of one customer, newest first',
        description: 'One entry per material change (band, model version, or a large probability move). Scope: read.',
        security: securityRequirement,
        params: customerIdParamSchema,
        querystring: z.object({ limit: limitSchema(100, 1_000), cursor: cursorSchema }),
        response: {
          200: z.object({
            customerId: z.string(),
            data: z.array(
              z.object({
                asOf: z.string(),
                scoredAt: z.string(),
                probability: z.number(),
                band: z.enum(RISK_BANDS),
                drivers: z.array(driverSchema),
                modelVersion: z.string(),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
          ...problemResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request) => {
      const { id } = request.params
      const fingerprint = queryFingerprint({ route: 'history', id })
      const cursor = request.query.cursor ? decodeCursor(request.query.cursor, historyCursorSchema, fingerprint) : undefined
      const page = await readScoreHistory(ctx.pool, id, {
        limit: request.query.limit,
        ...(cursor ? { before: { asOf: cursor.a, modelVersion: cursor.v } } : {}),
      })
      if (page.entries.length === 0 && !cursor && !(await knownCustomers(ctx.pool, [id])).has(id)) throw notFound(`unknown customer "${id}"`)
      return {
        customerId: id,
        data: page.entries,
        nextCursor: page.next ? encodeCursor({ q: fingerprint, a: page.next.asOf, v: page.next.modelVersion }) : null,
      }
    },
  )

  app.get(
    '/v1/customers',
    {
      config: { access: 'read' },
      schema: {
        tags: ['customers'],
        summary: 'Ranked at-risk list (JSON pages, or CSV with Accept: text/csv)',
        description: `Customers with a current score, highest first by revenueAtRisk or probability (ties by customerId),
with keyset cursors. A walk (first page and the cursors that follow) is read against the first page's snapshot:
no customer appears twice, and every customer not rescored during the walk appears exactly once; a customer
rescored during the walk may be left out of the rest of it, so finish with updatedSince=walkStartedAt.
Filters (segment, plan, ownerId, band, renewalWithinDays) combine with AND; values within one filter with OR.
Segment, owner and renewal are the customer's as of its score. An unknown band or a malformed value is a 400
naming the parameter; a segment, plan or owner that matches nobody is an empty list.
With \`Accept: text/csv\` the same list (all of it, or \`limit\` rows) streams as CSV for CRM bulk import. Scope: read.`,
        security: securityRequirement,
        querystring: listQuerySchema,
        response: {
          200: {
            description: 'A page of the ranked list, or the whole list as CSV',
            content: {
              'application/json': {
                schema: z.object({
                  data: z.array(listItemSchema),
                  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
                  walkStartedAt: z.string().nullable().describe('Database time of the walk’s first page'),
                }),
              },
              'text/csv': { schema: z.string().describe(CSV_HEADER.join(',')) },
            },
          },
          ...problemResponses(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const { cursor, limit, segment, plan, ownerId, band, renewalWithinDays, ...filters } = request.query
      const customerParams = { segment, plan, ownerId, band, renewalWithinDays }
      const fingerprint = queryFingerprint({ route: 'customers', ...filters, ...filterFingerprintParts(customerParams) })
      const after = cursor ? decodeCursor(cursor, listCursorSchema, fingerprint) : undefined
      if (after && filters.sort === 'revenueAtRisk' && !Number.isInteger(after.k)) throw malformedCursor()
      if (after && renewalWithinDays !== undefined && after.n === undefined) throw malformedCursor()
      const anchor = after?.n ?? ctx.now().toISOString()
      const base: Omit<ScoreListQuery, 'limit' | 'after'> = {
        sort: filters.sort,
        ...toCustomerFilters(customerParams, new Date(anchor)),
        ...(filters.minProbability !== undefined ? { minProbability: filters.minProbability } : {}),
        ...(filters.updatedSince !== undefined ? { updatedSince: filters.updatedSince } : {}),
        ...(filters.changedSince !== undefined ? { changedSince: filters.changedSince } : {}),
      }
      const position = after ? { key: after.k, customerId: after.id, snapshot: after.s } : undefined

      if (wantsCsv(request.headers.accept)) {
        const rows = streamCsv(ctx, base, position, limit)
        // A stream bypasses serialisation; the typed reply only knows the schema's body types.
        const raw: FastifyReply = reply
        return raw.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="at-risk-customers.csv"').send(rows)
      }

      const page = await listScores(ctx.pool, { ...base, limit: limit ?? 100, ...(position ? { after: position } : {}) })
      const walkStartedAt = after?.t ?? page.walkStartedAt ?? null
      return reply.type('application/json; charset=utf-8').send({
        data: page.rows.map(toListItem),
        nextCursor:
          page.next && walkStartedAt
            ? encodeCursor({
                q: fingerprint,
                k: page.next.key,
                id: page.next.customerId,
                s: page.next.snapshot,
                t: walkStartedAt,
                ...(renewalWithinDays !== undefined ? { n: anchor } : {}),
              })
            : null,
        walkStartedAt,
      })
    },
  )

  app.post(
    '/v1/scores/batch-get',
    {
      config: { access: 'read' },
      schema: {
        tags: ['customers'],
        summary: 'Current risk of up to 1,000 customers at once',
        description: 'Scores in the order asked (duplicates once); ids without a current score are listed in missing. Scope: read.',
        security: securityRequirement,
        body: z.object({
          customerIds: z
            .array(z.string().min(1, 'must be 1-128 characters').max(128, 'must be 1-128 characters'))
            .min(1, 'must hold 1 to 1000 customer ids')
            .max(1_000, 'must hold 1 to 1000 customer ids'),
        }),
        response: {
          200: z.object({ data: z.array(riskSchema), missing: z.array(z.string()) }),
          ...problemResponses(400, 401, 403, 413, 429),
        },
      },
    },
    async (request) => {
      const ids = [...new Set(request.body.customerIds)]
      const scores = await readScoresByIds(ctx.pool, ids)
      return {
        data: ids.flatMap((id) => {
          const score = scores.get(id)
          return score ? [toRisk(score)] : []
        }),
        missing: ids.filter((id) => !scores.has(id)),
      }
    },
  )
}

/** True when the client prefers CSV over JSON (q-values honoured; JSON wins ties and absence). */
export function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false
  let csv = 0
  let json = 0
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';')
    const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? '1')
    const weight = Number.isFinite(q) ? q : 0
    if (type === 'text/csv') csv = Math.max(csv, weight)
    if (type === 'application/json' || type === 'application/*' || type === '*/*') json = Math.max(json, weight)
  }
  return csv > 0 && csv > json
}

/** Streams the ranked list as CSV in pages of CSV_PAGE, one walk (one snapshot) for the whole export. */
function streamCsv(
  ctx: ApiContext,
  base: Omit<ScoreListQuery, 'limit' | 'after'>,
  start: ScoreListQuery['after'],
  cap: number | undefined,
): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(CSV_HEADER)
    let after = start
    let remaining = cap ?? Number.POSITIVE_INFINITY
    while (remaining > 0) {
      const page = await listScores(ctx.pool, { ...base, limit: Math.min(CSV_PAGE, remaining), ...(after ? { after } : {}) })
      yield page.rows.map(csvRow).join('')
      remaining -= page.rows.length
      if (!page.next) break
      after = page.next
    }
  }
  const stream = Readable.from(lines(), { objectMode: false })
  stream.on('error', (err) => ctx.log.error({ err }, 'csv export failed mid-stream'))
  return stream
}

function csvRow(s: StoredScore): string {
  return csvLine([
    s.customerId,
    s.probability,
    s.band,
    s.revenueAtRisk,
    s.mrr,
    s.plan,
    s.modelVersion,
    s.asOf,
    s.scoredAt,
    s.changeSeq,
    s.drivers[0]?.sentence,
    s.drivers[1]?.sentence,
    s.drivers[2]?.sentence,
    s.segment,
    s.ownerId,
    s.renewalAt,
  ])
}
