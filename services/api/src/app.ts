import { randomUUID } from 'node:crypto'
import rateLimit from '@fastify/rate-limit'
import type { IncomingMessage, ServerResponse } from 'node:http'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyBodyParser, type FastifyInstance, type RawServerDefault } from 'fastify'
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { createDestinationGuard } from '@churnwatch/webhooks'
import { apiTopics, DEFAULT_API_OPTIONS, type ApiContext, type ApiDeps } from './context.js'
import { ApiError } from './errors.js'
import { jsonNestsDeeperThan } from './json-depth.js'
import { followScoreChanges } from './risk-cache-feed.js'
import { createRiskDocumentReader } from './risk-documents.js'
import { lazyChildLogger } from './lazy-logger.js'
import { authPlugin, presentedKeyId } from './plugins/auth.js'
import { inputGuardPlugin } from './plugins/input-guard.js'
import { metricsPlugin } from './plugins/metrics.js'
import { openApiPlugin } from './plugins/openapi.js'
import { clientErrorHandler, frameworkErrors, problemPlugin } from './plugins/problem.js'
import { securityHeadersPlugin } from './plugins/security-headers.js'
import { consoleRoutes } from './plugins/console.js'
import { createSealer, sessionPlugin, sessionRoutes, sessionSecret } from './plugins/session.js'
import { alertRoutes } from './routes/alerts.js'
import { customerRoutes } from './routes/customers.js'
import { eventRoutes } from './routes/events.js'
import { healthRoutes } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'
import { modelRoutes } from './routes/models.js'
import { webhookRoutes } from './routes/webhooks.js'
import { responseSerializerCompiler } from './serializer.js'

export { apiTopics, DEFAULT_API_OPTIONS, type ApiDeps, type ApiOptions, type ApiTopics } from './context.js'
export { apiConfigSchema, type ApiConfig } from './config.js'
export { bundledConsoleDir } from './plugins/console.js'

/** Deeper JSON bodies are refused before parsing (nothing the API accepts comes close). */
const MAX_JSON_DEPTH = 64

/** The callback form of a body parser (the other form returns a promise). */
type CallbackBodyParser = Exclude<FastifyBodyParser<string>, (...args: never[]) => Promise<unknown>>

/** The Fastify instance buildApp returns (zod type provider). */
export type ApiApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>

/**
 * Builds the API without listening: plugins and routes registered explicitly, ready for `inject`
 * in tests, for `listen` in main.ts, or for the demo that runs every service in one process.
 * The caller owns deps (pool, publisher, outbox, kafka, scoreChanges) and closes them after `app.close()`.
 */
export async function buildApp(deps: ApiDeps): Promise<ApiApp> {
  const options = { ...DEFAULT_API_OPTIONS, ...deps.options }
  const riskDocuments = createRiskDocumentReader(deps.pool)
  const following =
    deps.scoreChanges && options.riskCacheMaxBytes > 0
      ? followScoreChanges(deps.scoreChanges, { maxBytes: options.riskCacheMaxBytes, log: deps.log, reread: riskDocuments.readMany })
      : undefined
  const ctx: ApiContext = {
    pool: deps.pool,
    publisher: deps.publisher,
    outbox: deps.outbox,
    kafka: deps.kafka,
    log: deps.log,
    registry: deps.registry,
    topics: deps.topics ?? apiTopics(),
    now: deps.now ?? (() => new Date()),
    options,
    riskCache: following?.cache,
    riskDocuments,
    webhookDestinations: createDestinationGuard({ allowPrivateNetworks: options.allowPrivateWebhookNetworks }),
  }
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.log.child({ component: 'http' }),
    // One access-log line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger,
    bodyLimit: ctx.options.bodyLimitBytes,
    // proxy-addr semantics: trust the nearest `trustProxyHops` hops of X-Forwarded-For.
    trustProxy: (_address: string, hop: number) => hop < ctx.options.trustProxyHops,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Long enough for every id the schemas accept, so that they (not the router's 414) say what is wrong.
    routerOptions: { maxParamLength: 512 },
    // Problem+json also for what never reaches the error handler: undecodable URLs and malformed HTTP.
    frameworkErrors,
    clientErrorHandler: clientErrorHandler(deps.log.child({ component: 'http' })),
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(responseSerializerCompiler)

  // JSON only (anything else is a 415). POST actions without a body (ack, test, redeliver) may
  // still say Content-Type: application/json.
  // Fastify types the default parser as either parser form; it is the callback form (it calls
  // `done` and returns nothing), so there is no promise to await.
  const parseJson = app.getDefaultJsonParser('error', 'error') as CallbackBodyParser
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text === '') {
      done(null, undefined)
      return
    }
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(new ApiError('badRequest', `the JSON body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`), undefined)
      return
    }
    parseJson(request, text, done)
  })

  await app.register(problemPlugin)
  await app.register(securityHeadersPlugin)
  // Console sessions: a valid cookie supplies the key that rate limiting and auth then see.
  const sessions = { pool: ctx.pool, now: ctx.now, sealer: createSealer(sessionSecret(ctx.options.sessionSecret, ctx.log)), ttlMs: ctx.options.sessionTtlMs }
  await app.register(sessionPlugin, sessions)
  await app.register(rateLimit, {
    max: ctx.options.rateLimitPerMinute,
    timeWindow: 60_000,
    // Per API key (its public id) so that clients behind one NAT do not share a budget; per IP otherwise.
    keyGenerator: (request) => {
      const keyId = presentedKeyId(request)
      return keyId ? `key:${keyId}` : `ip:${request.ip}`
    },
    errorResponseBuilder: (_request, context) =>
      new ApiError('rateLimited', `rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`),
  })
  await app.register(authPlugin, { pool: ctx.pool, log: ctx.log, now: ctx.now, cacheTtlMs: ctx.options.authCacheTtlMs })
  await app.register(inputGuardPlugin)
  await app.register(metricsPlugin, ctx)
  await app.register(openApiPlugin)

  // One access-log line per request (skipped cheaply below info: pino levels are numbers).
  const accessLogged = ctx.log.levels.values.info ?? 30
  app.addHook('onResponse', (request, reply, done) => {
    if (ctx.log.levelVal <= accessLogged) {
      request.log.info(
        { method: request.method, url: request.url, route: request.routeOptions.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request completed',
      )
    }
    done()
  })

  app.addHook('onClose', async () => {
    await following?.stop()
  })
  await app.register(healthRoutes, ctx)
  await app.register(sessionRoutes, sessions)
  if (ctx.options.consoleDir !== undefined) await app.register(consoleRoutes, { dir: ctx.options.consoleDir })
  await app.register(customerRoutes, ctx)
  await app.register(alertRoutes, ctx)
  await app.register(metricsRoutes, ctx)
  await app.register(modelRoutes, ctx)
  await app.register(webhookRoutes, ctx)
  await app.register(eventRoutes, ctx)
  return app
}
