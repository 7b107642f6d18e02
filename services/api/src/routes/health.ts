import { countBrokers } from '@churnwatch/kafka'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { cached, withTimeout } from '../probes.js'

const checkSchema = z.object({
  status: z.enum(['ok', 'failing', 'skipped']),
  latencyMs: z.number().optional(),
  detail: z.string().optional(),
})

const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    postgres: checkSchema,
    kafka: checkSchema,
    consumerLag: checkSchema.extend({
      messages: z.int().nullable().describe('Feature-builder messages not yet folded'),
      maxMessages: z.int().nullable().describe('Readiness fails above this (READY_MAX_CONSUMER_LAG); null = report only'),
    }),
  }),
})

type Check = z.infer<typeof checkSchema>

async function timed(work: () => Promise<unknown>, timeoutMs: number, what: string): Promise<Check> {
  const started = performance.now()
  try {
    await withTimeout(work(), timeoutMs, what)
    return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 10) / 10 }
  } catch (err) {
    return { status: 'failing', detail: err instanceof Error ? err.message : String(err) }
  }
}

/** /healthz (the process answers) and /readyz (PostgreSQL and Kafka reachable, feature-builder lag). Public. */
export const healthRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const timeoutMs = ctx.options.probeTimeoutMs
  const kafka = ctx.kafka
  const kafkaCheck = kafka ? cached(() => timed(() => countBrokers(kafka), timeoutMs, 'Kafka'), ctx.options.probeCacheMs) : undefined

  app.get(
    '/healthz',
    {
      config: { access: 'public', rateLimit: false },
      schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      config: { access: 'public', rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: PostgreSQL and Kafka reachable; feature-builder consumer lag',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const readLag = app.readConsumerLag
      const [postgres, kafkaStatus, lag] = await Promise.all([
        timed(() => ctx.pool.query('SELECT 1'), timeoutMs, 'PostgreSQL'),
        kafkaCheck ? kafkaCheck() : Promise.resolve<Check>({ status: 'skipped', detail: 'no Kafka client configured' }),
        readLag
          ? readLag().then(
              (partitions) => ({ total: partitions.reduce((sum, p) => sum + p.lag, 0) }),
              (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
            )
          : Promise.resolve(undefined),
      ])
      const max = ctx.options.readyMaxConsumerLag ?? null
      const consumerLag =
        lag === undefined
          ? { status: 'skipped' as const, messages: null, maxMessages: max, detail: 'no Kafka client configured' }
          : 'error' in lag
            ? { status: 'failing' as const, messages: null, maxMessages: max, detail: lag.error }
            : { status: max !== null && lag.total > max ? ('failing' as const) : ('ok' as const), messages: lag.total, maxMessages: max }
      // Lag blocks readiness only when a maximum is configured: the API can serve reads while the pipeline catches up.
      const ready =
        postgres.status === 'ok' && kafkaStatus.status !== 'failing' && (max === null || consumerLag.status !== 'failing')
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { postgres, kafka: kafkaStatus, consumerLag } })
    },
  )
}
