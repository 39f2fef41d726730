import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { badName, isChannelName } from './channels'
import { parseDisconnect, type DisconnectOrder } from './disconnect'
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
  disconnect(order: DisconnectOrder): Promise<number>
  engine(): Engine
}

/**
 * The HTTP side of the server: `POST /push`, `POST /disconnect`, `POST /history`, `GET /health`,
 * then the application's routes.
 */
export function createRoutes(context: RouteContext) {
  const { options } = context
  const { maxPayload, pushSecret, maxDepth } = options

  return async function route(request: IncomingMessage, response: ServerResponse) {
    await answer(request, response)
    if (!request.complete) dropRest(request, options.httpTimeout)
  }

  async function answer(request: IncomingMessage, response: ServerResponse) {
    const path = (request.url || '/').split('?')[0]
    if (request.method === 'GET' && path === '/health') return json(response, 200, context.health())
    if (path === '/history') return history(context, request, response)
    if (path === '/push' || path === '/disconnect') {
      if (request.method !== 'POST') return json(response, 405, { error: 'use POST' })
      const authorization = String(request.headers.authorization || '')
      if (!sameSecret(authorization, `Bearer ${pushSecret}`)) return json(response, 401, { error: 'bad or missing bearer token' })
      const body = await readBody(request, maxPayload)
      if (body === undefined) return json(response, 413, { error: `body larger than ${maxPayload} bytes` })
      if (deeperThan(body, maxDepth)) return json(response, 400, { error: `nested deeper than ${maxDepth} levels` })
      if (path === '/disconnect') return disconnect(response, body)
      const type = String(request.headers['content-type'] || '')
      const input = type.includes('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body)) : body
      const message = parsePush(input)
      if (!message) return json(response, 400, { error: 'expected {event, msg, to or channel} as JSON or a form' })
      return json(response, 200, { delivered: await context.push(message) })
    }
    if (options.routes && (await options.routes(request, response))) return
    json(response, 404, { error: 'not found' })
  }

  async function disconnect(response: ServerResponse, body: string) {
    let input: unknown
    try {
      input = JSON.parse(body)
    } catch {
      return json(response, 400, { error: 'expected a JSON body' })
    }
    const order = parseDisconnect(input)
    if (typeof order === 'string') return json(response, 400, { error: order })
    json(response, 200, { disconnected: await context.disconnect(order) })
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
  if (body === undefined) return json(response, 413, { error: `body larger than ${maxPayload} bytes` })
  let fields: unknown
  try {
    fields = JSON.parse(body)
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
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  response.end(JSON.stringify(body))
}

/**
 * The request body as text, or undefined as soon as it passes `limit` bytes (declared or sent):
 * the rest is not kept, and the caller answers 413 at once.
 */
function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(request.headers['content-length'] || 0) > limit) return resolve(undefined)
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) resolve(undefined)
      else chunks.push(chunk)
    })
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
    request.on('close', () => reject(new Error('connection closed before the body ended')))
  })
}

/**
 * A request answered before its body ended (401, 405, 413...): the rest of the body is read and
 * dropped, for `limit` ms at most, and then the connection is cut. Closing at once would make the
 * client's TCP stack, still sending, see a reset instead of the answer (nginx's lingering close).
 */
function dropRest(request: IncomingMessage, limit: number) {
  const cut = setTimeout(() => request.socket.destroy(), limit)
  const done = () => clearTimeout(cut)
  request.once('end', done).once('close', done)
  request.resume()
}
