import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  receivedAt: Date
}

/** How the receiver answers its nth request (0-based): a status (and body), or never. */
export type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang'
export type Behaviour = (request: ReceivedRequest, index: number) => Reply

export interface Receiver {
  url: string
  port: number
  requests: ReceivedRequest[]
  close: () => Promise<void>
}

/** A real HTTP server on 127.0.0.1 (port 0 = any free port) that records every request. */
export async function startReceiver(behaviour: Behaviour = () => ({ status: 204 }), port = 0): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  const hanging = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: new Date(),
      }
      const reply = behaviour(request, requests.length)
      requests.push(request)
      if (reply === 'hang') {
        hanging.add(res)
        return
      }
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers })
      res.end(reply.body ?? '')
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const actualPort = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${actualPort}/hooks`,
    port: actualPort,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
    },
  }
}
