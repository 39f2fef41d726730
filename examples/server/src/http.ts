import type { IncomingMessage, ServerResponse } from 'node:http'
import { parsePush } from './bus'
import type { PushInput } from './handlers'
import type { ResolvedOptions } from './options'

export interface RouteContext {
  options: ResolvedOptions
  health(): Record<string, unknown>
  push(message: PushInput): Promise<number>
}

/** The HTTP side of the server: `POST /push`, `GET /health`, then the application's routes. */
export function createRoutes(context: RouteContext) {
  const { options } = context
  const { maxPayload, pushSecret } = options

  return async function route(request: IncomingMessage, response: ServerResponse) {
    const path = (request.url || '/').split('?')[0]
    if (request.method === 'GET' && path === '/health') return json(response, 200, context.health())
    if (path === '/push') {
      if (request.method !== 'POST') return json(response, 405, { error: 'use POST' })
      if (request.headers.authorization !== `Bearer ${pushSecret}`) return json(response, 401, { error: 'bad or missing bearer token' })
      const body = await readBody(request, maxPayload)
      if (body === undefined) {
        response.setHeader('connection', 'close')
        return json(response, 413, { error: `body larger than ${maxPayload} bytes` })
      }
      const type = String(request.headers['content-type'] || '')
      const input = type.includes('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body)) : body
      const message = parsePush(input)
      if (!message) return json(response, 400, { error: 'expected {event, msg, to} as JSON or a form' })
      return json(response, 200, { delivered: await context.push(message) })
    }
    if (options.routes && (await options.routes(request, response))) return
    json(response, 404, { error: 'not found' })
  }
}

export function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  response.end(JSON.stringify(body))
}

/** The request body as text, or undefined past `limit` bytes. */
function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      // Past the limit the rest is read and dropped, so that the 413 reaches the client.
      if (size > limit) resolve(undefined)
      else chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}
