import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

const DESCRIPTION = `Churn risk scores, drivers, alerts, churn metrics, models, webhooks and event intake.

Authenticate with an API key (\`churnwatch keys create --scope read\`) sent as \`Authorization: Bearer <key>\`
or \`X-API-Key: <key>\`. Scopes: \`read\`, \`events:write\`, \`alerts:write\` (acknowledge, resolve, snooze alerts), \`admin\` (implies all). Errors are RFC 9457
\`application/problem+json\`. Money is in integer minor units (cents).`

/**
 * OpenAPI 3.1 generated from the routes' zod schemas, served at `/openapi.json`, with Swagger UI at
 * `/docs`. Both are public. Must be registered before the routes so that it sees them.
 */
export const openApiPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'churnwatch API', version: '1.0.0', description: DESCRIPTION },
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'cw_<id>_<secret>' },
            apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          },
        },
        tags: [
          { name: 'customers', description: 'Risk scores and the ranked at-risk list (scope read)' },
          { name: 'alerts', description: 'Alerts raised by the scorer' },
          { name: 'metrics', description: 'Churn rate, MRR churn and retention cohorts (scope read)' },
          { name: 'models', description: 'The model registry' },
          { name: 'webhooks', description: 'Webhook endpoints and deliveries (scope admin)' },
          { name: 'events', description: 'HTTP intake for usage and billing events (scope events:write)' },
          { name: 'session', description: 'Console sign-in: an API key exchanged for a session cookie (public)' },
          { name: 'operations', description: 'Health, readiness (public)' },
        ],
      },
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
    })
    // Swagger UI's own routes are public like the document they show.
    app.addHook('onRoute', (route) => {
      if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, access: 'public' }
    })
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      // The generated CSP would upgrade every request to https, which breaks /docs on plain-http dev setups.
      transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
    })
    app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'churnwatch-openapi' },
)
