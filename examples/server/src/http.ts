import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { badName, isChannelName } from './channels'
import type { Engine } from './engine'
import { parsePush, type PushInput } from './push'
import { deeperThan } from './frames'
import { channelHistory, readHistoryQuery } from './history'
import type { ResolvedOptions } from './options'
import { sameSecret } from './token'

export interface RouteContext {
  options: ResolvedOptions
  health(): Record<string, unknown>
  push(message: PushInput): Promise<number>
  engine(): Engine
}

/**
 * A body this much larger than `maxPayload` is not read to its end for the sake of a polite 413:
 * the connection is closed at once instead.
 */
const DRAIN_FACTOR = 16

/** The HTTP side of the server: `POST /push`, `POST /history`, `GET /health`, then the application's routes. */
export function createRoutes(context: RouteContext) {
  const { options } = context
  const { maxPayload, pushSecret, maxDepth } = options

  return async function route(request: IncomingMessage, response: ServerResponse) {
    const path = (request.url || '/').split('?')[0]
    if (request.method === 'GET' && path === '/health') return json(response, 200, context.health())
    if (path === '/history') return history(context, request, response)
    if (path === '/push') {
      if (request.method !== 'POST') return json(response, 405, { error: 'use POST' })
      const authorization = String(request.headers.authorization || '')
      if (!sameSecret(authorization, `Bearer ${pushSecret}`)) return json(response, 401, { error: 'bad or missing bearer token' })
      const body = await readBody(request, maxPayload)
      if (body === undefined) {
        response.setHeader('connection', 'close')
        return json(response, 413, { error: `body larger than ${maxPayload} bytes` })
      }
      if (deeperThan(body, maxDepth)) return json(response, 400, { error: `nested deeper than ${maxDepth} levels` })
      const type = String(request.headers['content-type'] || '')
      const input = type.includes('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body)) : body
      const message = parsePush(input)
      if (!message) return json(response, 400, { error: 'expected {event, msg, to or channel} as JSON or a form' })
      return json(response, 200, { delivered: await context.push(message) })
    }
    if (options.routes && (await options.routes(request, response))) return
    json(response, 404, { error: 'not found' })
  }
}

/**
 * `POST /history` `{channel, limit, before?}` with the push bearer token: a channel's last
 * publications for backends, as a subscriber's `history()` gets them (no `authorize`).
 */
async function history(context: RouteContext, request: IncomingMessage, response: ServerResponse) {
  const { pushSecret, maxPayload } = context.options
  if (request.method !== 'POST') return json(response, 405, { error: 'use POST' })
  if (!sameSecret(String(request.headers.authorization || ''), `Bearer ${pushSecret}`)) return json(response, 401, { error: 'bad or missing bearer token' })
  const body = await readBody(request, maxPayload)
  let fields: unknown
  try {
    fields = body === undefined ? undefined : JSON.parse(body)
  } catch {
    // answered below like any other body that is not an object
  }
  if (!fields || typeof fields !== 'object') return json(response, 400, { error: 'expected {channel, limit, before?} as JSON' })
  const { channel } = fields as Record<string, unknown>
  if (!isChannelName(channel)) return json(response, 400, { error: badName })
  const query = readHistoryQuery(fields as Record<string, unknown>)
  if (typeof query === 'string') return json(response, 400, { error: query })
  const page = await channelHistory(context.engine(), channel, query)
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
  response.end(page)
}

/**
 * The node:http server of the routes: a route that throws answers 500. Idle keep-alive
 * connections, connections that never send a request, and slow headers or bodies are all closed
 * within `httpTimeout` (ws turns the timeout off on sockets it upgrades).
 */
export function createHttp(options: ResolvedOptions, route: ReturnType<typeof createRoutes>) {
  const { httpTimeout, log } = options
  const http = createServer(
    // Node checks the header and request deadlines only this often (30 s by default).
    { connectionsCheckingInterval: Math.max(50, Math.min(1000, httpTimeout / 4)) },
    (request, response) => {
      route(request, response).catch((error) => {
        log('http error:', error.message)
        if (!response.headersSent && !response.destroyed) json(response, 500, { error: 'internal error' })
      })
    },
  )
  http.headersTimeout = httpTimeout
  http.requestTimeout = httpTimeout
  http.keepAliveTimeout = Math.min(5000, httpTimeout)
  http.setTimeout(httpTimeout)
  return http
}

export function json(response: ServerResponse, status: number, body: unknown) {
  if (!response.req.complete) {
    // Answered before its body was read (401, 405...): read and drop the rest, then close, so that
    // the connection neither lingers on an unread body nor resets before the answer arrives.
    response.req.resume()
    response.setHeader('connection', 'close')
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  response.end(JSON.stringify(body))
}

/**
 * The request body as text, or undefined past `limit` bytes. An oversized body is still read to
 * its end (and dropped) before the caller answers 413: a server that answers and closes while the
 * client is still sending makes the client's TCP stack see a reset instead of the answer. Past
 * `DRAIN_FACTOR` times the limit, or a declared length that large, the connection is cut instead.
 */
function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] || 0)
    const drainLimit = limit * DRAIN_FACTOR
    if (declared > drainLimit) {
      request.socket.destroy()
      return reject(new Error(`declared body of ${declared} bytes refused`))
    }
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > drainLimit) {
        request.socket.destroy()
        reject(new Error(`body over ${drainLimit} bytes cut off`))
      } else if (size <= limit) chunks.push(chunk)
    })
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
    request.on('close', () => reject(new Error('connection closed before the body ended')))
  })
}
