import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from '@churnwatch/observability'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { API_ERRORS, ApiError, problemType, type ApiErrorKind, type FieldError } from '../errors.js'

const LOCATIONS: Record<string, string> = { querystring: 'query', body: 'body', params: 'params', headers: 'headers' }

// Fastify's own 4xx errors, by code, mapped onto the catalogue.
const FASTIFY_CODES: Record<string, ApiErrorKind> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payloadTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupportedMediaType',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'badRequest',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'badRequest',
  FST_ERR_CTP_INVALID_JSON_BODY: 'badRequest',
}

interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: string
  requestId: string
  errors?: FieldError[]
}

function problemOf(kind: ApiErrorKind, detail: string, request: Pick<FastifyRequest, 'url' | 'id'>, errors?: FieldError[]): Problem {
  const entry = API_ERRORS[kind]
  return {
    type: problemType(kind),
    title: entry.title,
    status: entry.status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    code: entry.code,
    requestId: request.id,
    ...(errors ? { errors } : {}),
  }
}

function sendProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}): FastifyReply {
  // Sent as a string so that no route's response schema applies to it.
  return reply.code(problem.status).headers(headers).type('application/problem+json; charset=utf-8').send(JSON.stringify(problem))
}

function validationErrors(err: FastifyError): FieldError[] {
  const location = LOCATIONS[err.validationContext ?? ''] ?? err.validationContext ?? 'request'
  return (err.validation ?? []).map((v) => {
    const path = v.instancePath.split('/').filter((p) => p !== '')
    return { path: [location, ...path].join('.'), message: v.message ?? 'is invalid' }
  })
}

function kindForStatus(status: number): ApiErrorKind {
  const match = (Object.keys(API_ERRORS) as ApiErrorKind[]).find((k) => API_ERRORS[k].status === status && k !== 'validation')
  return match ?? (status >= 500 ? 'internal' : 'badRequest')
}

/**
 * One error handler for the whole app: every error becomes application/problem+json. 4xx keep
 * their detail; any unexpected error is a 500 whose detail stays hidden and is logged once here.
 */
export const problemPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof ApiError) {
        if (err.status >= 500) request.log.warn({ code: err.code, detail: err.detail }, 'request failed')
        return sendProblem(reply, problemOf(err.kind, err.detail, request, err.extra.errors), err.extra.headers)
      }
      if (hasZodFastifySchemaValidationErrors(err) || err.validation) {
        const errors = validationErrors(err)
        const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ')
        return sendProblem(reply, problemOf('validation', detail, request, errors))
      }
      const known = err.code ? FASTIFY_CODES[err.code] : undefined
      const status = typeof err.statusCode === 'number' ? err.statusCode : 500
      if (known || (status >= 400 && status < 500)) {
        const kind = known ?? kindForStatus(status)
        request.log.info({ code: err.code, status: API_ERRORS[kind].status }, 'request rejected')
        return sendProblem(reply, problemOf(kind, err.message, request))
      }
      request.log.error({ err }, 'request failed')
      const kind = status === 503 ? 'unavailable' : 'internal'
      return sendProblem(reply, problemOf(kind, API_ERRORS[kind].title, request))
    })

    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, problemOf('notFound', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`, request)),
    )
  },
  { name: 'churnwatch-problem' },
)

/**
 * Fastify's `frameworkErrors`: URLs the router cannot decode (`%zz`, a cut-off UTF-8 sequence) and
 * over-long parameters are answered before any hook or error handler runs; without this they are
 * plain application/json in Fastify's own shape.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (err, request, reply) => {
  const kind: ApiErrorKind = err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'badRequest' : 'internal'
  if (kind === 'internal') request.log.error({ err }, 'request failed in the router')
  else request.log.info({ code: err.code }, 'request rejected')
  // The raw path may be anything the client sent; say what is wrong without echoing it.
  const detail = kind === 'internal' ? API_ERRORS.internal.title : 'the request URL is not a valid percent-encoded path'
  void sendProblem(reply, problemOf(kind, detail, { url: request.url, id: request.id }))
}

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses (malformed request lines or
 * headers, conflicting lengths, headers over the size limit, timeouts) get a problem+json answer
 * written straight to the socket, which is then closed. There is no request, hence no requestId.
 */
export function clientErrorHandler(log: Logger): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const kind: ApiErrorKind =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'requestTimeout' : err.code === 'HPE_HEADER_OVERFLOW' ? 'headersTooLarge' : 'badRequest'
    const entry = API_ERRORS[kind]
    const detail =
      kind === 'requestTimeout'
        ? 'the request was not received in time'
        : kind === 'headersTooLarge'
          ? 'the request headers exceed the size limit'
          : 'the request is not valid HTTP/1.1 (malformed request line, header or body framing)'
    const body = JSON.stringify({ type: problemType(kind), title: entry.title, status: entry.status, detail, code: entry.code })
    log.debug({ code: err.code }, 'client error')
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${entry.status} ${STATUS_CODES[entry.status] ?? entry.title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      )
    }
    socket.destroy(err)
  }
}
