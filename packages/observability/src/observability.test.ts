import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from './logger.js'
import { Counter, createMetricsRegistry } from './metrics.js'
import { startOpsServer } from './ops-server.js'

function captureLines(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'))
      callback()
    },
  })
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { stream, lines }
}

describe('createLogger', () => {
  it('writes JSON lines with service, level label and redacted secrets', () => {
    const { stream, lines } = captureLines()
    const log = createLogger({ service: 'scorer', destination: stream })
    log.child({ component: 'webhooks' }).warn({ endpoint: { url: 'http://x', secret: 'whsec_abc' } }, 'delivery failed')
    const [record] = lines()
    expect(record).toMatchObject({
      service: 'scorer',
      component: 'webhooks',
      level: 'warn',
      msg: 'delivery failed',
      endpoint: { url: 'http://x', secret: '[redacted]' },
    })
    expect(typeof record?.time).toBe('string')
  })

  it('drops records below the configured level', () => {
    const { stream, lines } = captureLines()
    const log = createLogger({ service: 'api', level: 'warn', destination: stream })
    log.info('ignored')
    log.error('kept')
    expect(lines().map((l) => l.msg)).toEqual(['kept'])
  })
})

describe('createMetricsRegistry', () => {
  it('exposes counters in Prometheus text with the service label', async () => {
    const registry = createMetricsRegistry({ service: 'feature-builder', defaultMetrics: false })
    const counter = new Counter({ name: 'churnwatch_events_total', help: 'events', registers: [registry] })
    counter.inc(3)
    const text = await registry.metrics()
    expect(text).toContain('churnwatch_events_total{service="feature-builder"} 3')
  })
})

describe('startOpsServer', () => {
  it('is not ready while any check fails, names each check, and stays healthy', async () => {
    let databaseUp = true
    const ops = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      registry: createMetricsRegistry({ service: 'test', defaultMetrics: false }),
      isReady: () => true,
      checks: {
        database: () => databaseUp,
        broken: () => (databaseUp ? Promise.resolve(true) : Promise.reject(new Error('down'))),
      },
    })
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${ops.port}${path}`)
      return { status: response.status, body: await response.json() }
    }
    try {
      expect(await get('/readyz')).toEqual({
        status: 200,
        body: { status: 'ready', checks: { database: { status: 'ok' }, broken: { status: 'ok' }, service: { status: 'ok' } } },
      })
      databaseUp = false
      expect(await get('/readyz')).toEqual({
        status: 503,
        body: { status: 'not_ready', checks: { database: { status: 'failing' }, broken: { status: 'failing' }, service: { status: 'ok' } } },
      })
      expect((await get('/healthz')).status).toBe(200)
    } finally {
      await ops.close()
    }
  })
})
