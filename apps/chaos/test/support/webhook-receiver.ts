import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedWebhook {
  id: string
  headers: IncomingHttpHeaders
  body: string
  receivedAt: Date
}

export interface WebhookReceiver {
  url: string
  received: ReceivedWebhook[]
  close: () => Promise<void>
}

/**
 * A real HTTP receiver that answers 204 after `delayMs()` milliseconds: a slow answer
 * keeps deliveries in flight, so a kill lands between sending and recording an attempt.
 */
export async function startWebhookReceiver(delayMs: () => number): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({ id: String(req.headers['webhook-id']), headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: new Date() })
      setTimeout(() => res.writeHead(204).end(), delayMs())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
