import { randomUUID } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { memoryBus, parsePush, redisBus, type Bus, type PushMessage } from './bus'
import { verifyToken } from './token'

/**
 * Close codes the server uses (4xxx mirror HTTP statuses). Clients see them in `ClosedError.code`.
 */
export const CloseCode = {
  /** `SIGTERM` or `close()`: the server is going away. */
  shutdown: 1001,
  /** A frame larger than `maxPayload` (sent by `ws` itself). */
  tooBig: 1009,
  /** A frame that is not a JSON object (binary, invalid JSON, an array...). */
  badFrame: 4400,
  /** No successful login within `loginTimeout`. */
  loginTimeout: 4401,
  /** Closed by the backend (`disconnect()`). */
  kicked: 4409,
  /** More messages than `rateLimit` allows. */
  rateLimited: 4429,
} as const

/** Error codes of replies (`data.error`); 0 is success. */
export const ReplyCode = {
  ok: 0,
  badRequest: 400,
  unauthorized: 401,
  notFound: 404,
  internal: 500,
} as const

/** Throw it from a handler to answer with a chosen error code and body. */
export class ReplyError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : `reply error ${code}`)
    this.name = 'ReplyError'
  }
}

export interface HandlerContext {
  /** The logged-in user of the socket, e.g. `user:6`. */
  user: string
  /** This socket's id, unique on this node. */
  socketId: string
  /** Pushes to users (on every node in multi-node mode); resolves with how many sockets get it. */
  push(event: string, msg: unknown, to: string | string[]): Promise<number>
}

export type Handler = (data: unknown, context: HandlerContext) => unknown

export interface ServerOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 0 */
  port?: number
  /** Secret of the default token check (HMAC-SHA256 of `u`), and of `POST /push` unless `pushSecret` is set. */
  secret: string
  /** Bearer token `POST /push` requires. @default secret */
  pushSecret?: string
  /** Checks a login; the default compares `token` with `signToken(secret, u)` in constant time. */
  verifyLogin?: (u: string, token: string) => boolean | Promise<boolean>
  /** A socket not logged in by then is closed with 4401, in ms. @default 10000 */
  loginTimeout?: number
  /** Server pings `{"type":"ping","uuid":...}` this often, in ms. @default 20000 */
  pingInterval?: number
  /** A socket silent (no frame at all) for this long is cut off, in ms. @default 60000 */
  idleTimeout?: number
  /** Largest frame accepted, in bytes; larger ones close the socket with 1009. @default 65536 */
  maxPayload?: number
  /** Frames a socket may send per `interval` ms before it is closed with 4429; `false`: no limit. */
  rateLimit?: { messages: number; interval: number } | false
  /** With a Redis URL, pushes and presence go through Redis so that several nodes act as one. */
  redisUrl?: string
  /** Redis pub/sub channel for pushes. @default 'mp-socket:push' */
  channel?: string
  /** More HTTP routes (return true when handled), e.g. the demo's page. */
  routes?: (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>
  /** @default no logging */
  log?: (...args: unknown[]) => void
}

interface Client {
  id: string
  socket: WebSocket
  user?: string
  lastSeen: number
  loginTimer?: NodeJS.Timeout
  windowStart: number
  windowCount: number
}

/** The reference server: the default protocol over `ws`, push over HTTP, optional Redis fan-out. */
export function createServer(options: ServerOptions) {
  const {
    host = '127.0.0.1',
    port = 0,
    secret,
    pushSecret = options.secret,
    loginTimeout = 10_000,
    pingInterval = 20_000,
    idleTimeout = 60_000,
    maxPayload = 64 * 1024,
    rateLimit = { messages: 200, interval: 1000 },
    log = () => {},
  } = options
  if (!secret) throw new Error('createServer: a secret is required')
  const verifyLogin = options.verifyLogin || ((u: string, token: string) => verifyToken(secret, u, token))
  const handlers = new Map<string, Handler>()
  const clients = new Map<WebSocket, Client>()
  const byUser = new Map<string, Set<Client>>()
  let bus: Bus = memoryBus(deliver, (user) => byUser.get(user)?.size ?? 0)
  let closing = false

  const http = createHttpServer((request, response) => {
    route(request, response).catch((error) => {
      log('http error:', error)
      if (!response.headersSent) json(response, 500, { error: 'internal error' })
    })
  })
  const wss = new WebSocketServer({ server: http, maxPayload })
  wss.on('connection', accept)

  const pinger = setInterval(() => {
    const ping = JSON.stringify({ type: 'ping', uuid: Date.now() / 1000 })
    for (const client of clients.values()) client.socket.send(ping)
  }, pingInterval)
  const reaper = setInterval(() => {
    const now = Date.now()
    for (const client of clients.values()) {
      if (now - client.lastSeen > idleTimeout) {
        log('idle for', idleTimeout, 'ms, cut off:', client.id)
        client.socket.terminate()
      }
    }
  }, Math.max(10, Math.min(10_000, idleTimeout / 6)))

  function accept(socket: WebSocket) {
    const now = Date.now()
    const client: Client = { id: randomUUID(), socket, lastSeen: now, windowStart: now, windowCount: 0 }
    clients.set(socket, client)
    client.loginTimer = setTimeout(() => socket.close(CloseCode.loginTimeout, 'login timeout'), loginTimeout)
    socket.on('message', (raw, isBinary) => receive(client, raw, isBinary))
    socket.on('close', () => {
      clearTimeout(client.loginTimer)
      clients.delete(socket)
      unbind(client)
    })
    socket.on('error', (error) => log('socket error:', error.message))
  }

  function reply(client: Client, uuid: unknown, error: number, body: unknown) {
    if (uuid === undefined || client.socket.readyState !== client.socket.OPEN) return
    client.socket.send(JSON.stringify({ type: 'respon', event: uuid, data: { error, body } }))
  }

  function limited(client: Client, now: number) {
    if (!rateLimit) return false
    if (now - client.windowStart >= rateLimit.interval) {
      client.windowStart = now
      client.windowCount = 0
    }
    return ++client.windowCount > rateLimit.messages
  }

  // Synchronous on the hot path: only a handler that returns a promise is awaited.
  function receive(client: Client, raw: RawData, isBinary: boolean) {
    const now = Date.now()
    client.lastSeen = now
    if (limited(client, now)) return client.socket.close(CloseCode.rateLimited, 'rate limit')
    let message: unknown
    try {
      const text = isBinary ? '' : String(raw)
      message = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
    } catch {
      // not JSON: closed below
    }
    if (!message || typeof message !== 'object' || Array.isArray(message)) {
      return client.socket.close(CloseCode.badFrame, 'expected a JSON object')
    }
    const { event, data, uuid } = message as { event?: unknown; data?: unknown; uuid?: unknown }
    if (uuid !== undefined && typeof uuid !== 'string' && typeof uuid !== 'number') {
      return client.socket.close(CloseCode.badFrame, 'uuid must be a string or number')
    }
    if (typeof event !== 'string') return reply(client, uuid, ReplyCode.badRequest, 'event must be a string')
    if (event === 'response') return // the answer to our ping: lastSeen is all it is for
    if (event === 'login') return void login(client, data, uuid).catch((error) => log('login failed:', error))
    if (event === 'ping') {
      const known = client.user !== undefined
      return reply(client, uuid, known ? ReplyCode.ok : ReplyCode.unauthorized, known ? 'pong' : 'not logged in')
    }
    if (client.user === undefined) return reply(client, uuid, ReplyCode.unauthorized, 'login first')
    const handler = handlers.get(event)
    if (!handler) return reply(client, uuid, ReplyCode.notFound, `unknown event ${event}`)
    const answer = (body: unknown) => reply(client, uuid, ReplyCode.ok, body === undefined ? null : body)
    const fail = (error: unknown) => {
      if (error instanceof ReplyError) return reply(client, uuid, error.code, error.body)
      log(`handler of "${event}" threw:`, error)
      reply(client, uuid, ReplyCode.internal, 'internal error')
    }
    let body: unknown
    try {
      body = handler(data, { user: client.user, socketId: client.id, push: (e, msg, to) => push({ event: e, msg, to }) })
    } catch (error) {
      return fail(error)
    }
    if (body && typeof (body as PromiseLike<unknown>).then === 'function') (body as PromiseLike<unknown>).then(answer, fail)
    else answer(body)
  }

  async function login(client: Client, data: unknown, uuid: unknown) {
    const { u, token } = (data && typeof data === 'object' ? data : {}) as { u?: unknown; token?: unknown }
    if (typeof u !== 'string' || !u || typeof token !== 'string') {
      return reply(client, uuid, ReplyCode.badRequest, 'login needs {u, token} strings')
    }
    let valid = false
    try {
      valid = await verifyLogin(u, token)
    } catch (error) {
      log('verifyLogin threw:', error)
    }
    if (!valid) return reply(client, uuid, ReplyCode.unauthorized, 'invalid token')
    if (!clients.has(client.socket)) return // closed while the token was checked
    clearTimeout(client.loginTimer)
    if (client.user !== u) {
      unbind(client)
      client.user = u
      const sockets = byUser.get(u) ?? new Set<Client>()
      sockets.add(client)
      byUser.set(u, sockets)
      presence(u)
    }
    log('login', u, client.id)
    reply(client, uuid, ReplyCode.ok, 'logged in')
  }

  function unbind(client: Client) {
    const user = client.user
    if (user === undefined) return
    client.user = undefined
    const sockets = byUser.get(user)
    sockets?.delete(client)
    if (sockets && sockets.size === 0) byUser.delete(user)
    presence(user)
  }

  function presence(user: string) {
    bus.setPresence(user, byUser.get(user)?.size ?? 0).catch((error) => log('presence update failed:', error.message))
  }

  /** Sends a push to this node's sockets of its users; returns how many got it. */
  function deliver(message: PushMessage): number {
    const everyone = message.to.includes('*')
    const targets = everyone ? [...byUser.keys()] : [...new Set(message.to)]
    let count = 0
    for (const user of targets) {
      const frame = JSON.stringify({ type: 'app', event: message.event, msg: message.msg, to: user })
      for (const client of byUser.get(user) ?? []) {
        if (client.socket.readyState === client.socket.OPEN) {
          client.socket.send(frame)
          count++
        }
      }
    }
    return count
  }

  /** Pushes `{type:'app', event, msg}` to users (`*`: everyone); resolves with how many sockets get it. */
  async function push(message: { event: string; msg: unknown; to: string | string[] }) {
    const parsed = parsePush(message)
    if (!parsed) throw new TypeError('push needs an event and at least one recipient')
    const count = await bus.publish(parsed)
    // A broadcast through Redis reaches every node; this node's sockets are the part it can count.
    return count ?? [...byUser.values()].reduce((sum, sockets) => sum + sockets.size, 0)
  }

  async function route(request: IncomingMessage, response: ServerResponse) {
    const path = (request.url || '/').split('?')[0]
    if (request.method === 'GET' && path === '/health') {
      return json(response, 200, { ok: true, node: bus.nodeId, connections: clients.size, users: byUser.size })
    }
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
      return json(response, 200, { delivered: await push(message) })
    }
    if (options.routes && (await options.routes(request, response))) return
    json(response, 404, { error: 'not found' })
  }

  return {
    /** Registers the handler of a client request event. */
    handle(event: string, handler: Handler) {
      if (['login', 'ping', 'response'].includes(event)) throw new Error(`"${event}" is built in`)
      handlers.set(event, handler)
      return this
    },
    push,
    /** Closes every socket of `user` (e.g. after a logout elsewhere); returns how many. */
    disconnect(user: string, code: number = CloseCode.kicked, reason = 'disconnected') {
      const sockets = [...(byUser.get(user) ?? [])]
      for (const client of sockets) client.socket.close(code, reason)
      return sockets.length
    },
    /** Sockets of `user` on this node. */
    socketsOf: (user: string) => byUser.get(user)?.size ?? 0,
    get connections() {
      return clients.size
    },
    get port() {
      return (http.address() as AddressInfo | null)?.port ?? 0
    },
    get nodeId() {
      return bus.nodeId
    },
    /** Connects Redis (if configured) and starts listening. */
    async listen() {
      if (options.redisUrl) bus = await redisBus({ url: options.redisUrl, channel: options.channel, log }, deliver)
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject)
        http.listen(port, host, () => resolve())
      })
      log(`listening on ${host}:${this.port}`, options.redisUrl ? 'with Redis' : 'in memory')
      return this
    },
    /** Closes every socket with 1001, stops accepting, and releases Redis. */
    async close() {
      if (closing) return
      closing = true
      clearInterval(pinger)
      clearInterval(reaper)
      for (const client of clients.values()) client.socket.close(CloseCode.shutdown, 'server shutting down')
      await new Promise<void>((resolve) => {
        wss.close(() => resolve())
        // Sockets that do not finish the closing handshake in time are cut.
        setTimeout(() => {
          for (const client of clients.values()) client.socket.terminate()
          resolve()
        }, 1000).unref()
      })
      await new Promise<void>((resolve) => http.close(() => resolve()))
      await bus.close()
    },
  }
}

export type ReferenceServer = ReturnType<typeof createServer>

function json(response: ServerResponse, status: number, body: unknown) {
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
