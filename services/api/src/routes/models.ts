import { describeFeature } from '@churnwatch/features'
import { activateModelVersion, UnsupportedFeaturesError } from '@churnwatch/scoring/activation'
import { getModel, listModels, type ModelRecord } from '@churnwatch/storage'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ApiContext } from '../context.js'
import { conflict, notFound } from '../errors.js'
import { problemResponses, securityRequirement } from '../schemas.js'

const calibrationBinSchema = z.object({
  lower: z.number(),
  upper: z.number(),
  count: z.int(),
  meanPredicted: z.number().nullable(),
  observedRate: z.number().nullable(),
})

const holdoutSchema = z
  .object({
    rocAuc: z.number().nullable(),
    prAuc: z.number().nullable(),
    brier: z.number().nullable(),
    topDecileLift: z.number().nullable(),
  })
  .partial()

const modelSummarySchema = z.object({
  version: z.string(),
  kind: z.string(),
  createdAt: z.string(),
  trainedAsOf: z.string(),
  active: z.boolean(),
  activatedAt: z.string().nullable(),
  featureCount: z.int(),
  holdout: holdoutSchema.nullable().describe('Headline holdout metrics'),
})

const modelDetailSchema = modelSummarySchema.extend({
  features: z.array(z.object({ name: z.string(), description: z.string().nullable(), unit: z.string().nullable() })),
  training: z.record(z.string(), z.unknown()).describe('Training window, observation plan, sizes and hyperparameters'),
  metrics: z.record(z.string(), z.unknown()).describe('Holdout evaluation as stored by the trainer'),
  calibration: z.array(calibrationBinSchema).describe('Holdout reliability table (predicted vs observed churn per bin)'),
})

const versionParams = z.object({ version: z.string().min(1).max(128) })

function holdoutOf(model: ModelRecord): z.infer<typeof holdoutSchema> | null {
  const parsed = z.object({ holdout: holdoutSchema.loose() }).safeParse(model.metrics)
  if (!parsed.success) return null
  const { rocAuc, prAuc, brier, topDecileLift } = parsed.data.holdout
  return { rocAuc, prAuc, brier, topDecileLift }
}

function toSummary(model: ModelRecord): z.infer<typeof modelSummarySchema> {
  return {
    version: model.version,
    kind: model.kind,
    createdAt: model.createdAt.toISOString(),
    trainedAsOf: model.trainedAsOf.toISOString(),
    active: model.active,
    activatedAt: model.activatedAt?.toISOString() ?? null,
    featureCount: model.featureNames.length,
    holdout: holdoutOf(model),
  }
}

function toDetail(model: ModelRecord): z.infer<typeof modelDetailSchema> {
  const calibration = z.object({ holdout: z.object({ calibration: z.array(calibrationBinSchema) }) }).safeParse(model.metrics)
  return {
    ...toSummary(model),
    features: model.featureNames.map((name) => {
      const d = describeFeature(name)
      return { name, description: d?.description ?? null, unit: d?.unit ?? null }
    }),
    training: model.training,
    metrics: model.metrics,
    calibration: calibration.success ? calibration.data.holdout.calibration : [],
  }
}

/** The model registry: list, get (never the artifact bytes), activate. */
export const modelRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  app.get(
    '/v1/models',
    {
      config: { access: 'read' },
      schema: {
        tags: ['models'],
        summary: 'Model versions, newest first',
        description: 'Scope: read.',
        security: securityRequirement,
        response: { 200: z.object({ data: z.array(modelSummarySchema) }), ...problemResponses(401, 403, 429) },
      },
    },
    async () => ({ data: (await listModels(ctx.pool)).map(toSummary) }),
  )

  app.get(
    '/v1/models/:version',
    {
      config: { access: 'read' },
      schema: {
        tags: ['models'],
        summary: 'One model version: metrics, features, calibration',
        description: 'Scope: read.',
        security: securityRequirement,
        params: versionParams,
        response: { 200: modelDetailSchema, ...problemResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      const model = await getModel(ctx.pool, request.params.version)
      if (!model) throw notFound(`unknown model version "${request.params.version}"`)
      return toDetail(model)
    },
  )

  app.post(
    '/v1/models/:version/activate',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['models'],
        summary: 'Make a version the active model',
        description:
          'The scorer picks it up within its poll interval and rescores every customer. Idempotent. 409 when the version needs features this release does not compute (the detail names them); nothing changes then. Scope: admin.',
        security: securityRequirement,
        params: versionParams,
        response: { 200: modelDetailSchema, ...problemResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => {
      const { version } = request.params
      const model = await activateModelVersion(ctx.pool, version).catch((err: unknown) => {
        throw err instanceof UnsupportedFeaturesError ? conflict(err.message) : err
      })
      if (!model) throw notFound(`unknown model version "${version}"`)
      request.log.info({ modelVersion: version, keyId: request.apiKey?.id }, 'model activated')
      return toDetail(model)
    },
  )
}
