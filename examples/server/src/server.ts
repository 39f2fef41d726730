import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { memoryBus, parsePush, redisBus, type Bus, type PushMessage } from './bus'
import { createAuthenticator, credentialsInUrl } from './auth'
import { CloseCode } from './codes'
import { toJson } from './frames'
import { BUILT_IN_EVENTS, type Handler, type PushInput } from './handlers'
import { createRoutes, json } from './http'
import { startLiveness } from './liveness'
import { resolveOptions, type ServerOptions } from './options'
import { createReceiver } from './requests'
import { Session } from './session'
import { Sessions } from './sessions'

export { CloseCode, ReplyCode, ReplyError } from './codes'
export type { Handler, HandlerContext } from './handlers'
export type { ServerOptions } from './options'

/**
 * The reference server: the default protocol over `ws`, push over HTTP, optional Redis fan-out.
 * This file only wires the parts together; each concern lives in its own file.
 */
export function createServer(serverOptions: ServerOptions) {
  const options = resolveOptions(serverOptions)
  const { host, port, log } = options
  const authenticate = createAuthenticator(options)
  const handlers = new Map<string, Handler>()
  const sessions = new Sessions((user, count) => {
    bus.setPresence(user, count).catch((error) => log('presence update failed:', error.message))
  })
  let bus: Bus = memoryBus(deliver, (user) => sessions.countOf(user))
  let closing = false

  /** Sends a push to this node's sockets of its users; returns how many got it. */
  function deliver(message: PushMessage): number {
    const targets = message.to.includes('*') ? [...sessions.users()] : [...new Set(message.to)]
    let count = 0
    for (const user of targets) {
      const frame = JSON.stringify({ type: 'app', event: message.event, msg: message.msg, to: user })
      for (const session of sessions.ofUser(user)) {
        if (session.open) {
          session.send(frame)
          count++
        }
      }
    }
    return count
  }

  /** Pushes `{type:'app', event, msg}` to users (`*`: everyone); resolves with how many sockets get it. */
  async function push(message: PushInput) {
    const parsed = parsePush(message)
    if (!parsed) throw new TypeError('push needs an event and at least one recipient')
    toJson(parsed.msg, 'the push') // a SerializationError here, before anything is sent anywhere
    const count = await bus.publish(parsed)
    // A broadcast through Redis reaches every node; this node's sockets are the part it can count.
    return count ?? sessions.boundCount
  }

  const receive = createReceiver({ options, handlers, sessions, authenticate, push })
  const route = createRoutes({
    options,
    push,
    health: () => ({ ok: true, node: bus.nodeId, connections: sessions.size, users: sessions.userCount }),
  })
  const http = createHttpServer(
    // Node checks the header and request deadlines only this often (30 s by default).
    { connectionsCheckingInterval: Math.max(50, Math.min(1000, options.httpTimeout / 4)) },
    (request, response) => {
      route(request, response).catch((error) => {
        log('http error:', error.message)
        if (!response.headersSent && !response.destroyed) json(response, 500, { error: 'internal error' })
      })
    },
  )
  // Idle keep-alive connections, connections that never send a request, and slow headers or bodies
  // are all closed within httpTimeout (ws turns the timeout off on sockets it upgrades).
  http.headersTimeout = options.httpTimeout
  http.requestTimeout = options.httpTimeout
  http.keepAliveTimeout = Math.min(5000, options.httpTimeout)
  http.setTimeout(options.httpTimeout)
  const wss = new WebSocketServer({ server: http, maxPayload: options.maxPayload })
  wss.on('connection', accept)
  const stopLiveness = startLiveness(sessions, options)

  function accept(socket: WebSocket, request: IncomingMessage) {
    const session = new Session(socket, options)
    sessions.add(session)
    session.loginTimer = setTimeout(() => session.close(CloseCode.loginTimeout, 'login timeout'), options.loginTimeout)
    socket.on('message', (raw, isBinary) => receive(session, raw, isBinary))
    socket.on('close', () => {
      session.dispose()
      sessions.remove(session)
    })
    socket.on('error', (error) => log('socket error:', error.message))
    const credentials = credentialsInUrl(request.url)
    if (credentials) void loginFromUrl(session, credentials.u, credentials.token)
  }

  /** A token in the upgrade URL logs the socket in from the start; a bad one closes it with the decision. */
  async function loginFromUrl(session: Session, u: string, token: string) {
    const check = await authenticate(u, token)
    if (!sessions.has(session)) return
    if (check === 'expired') return session.close(CloseCode.tokenExpired, 'token expired')
    if (check !== 'ok') return session.close(CloseCode.authRefused, 'invalid token')
    clearTimeout(session.loginTimer)
    sessions.bind(session, u)
    log('login (url)', u, session.id)
  }

  return {
    /** Registers the handler of a client request event. */
    handle(event: string, handler: Handler) {
      if (BUILT_IN_EVENTS.includes(event)) throw new Error(`"${event}" is built in`)
      handlers.set(event, handler)
      return this
    },
    push,
    /**
     * Closes every socket of `user` (e.g. logged in elsewhere), each after a `{"type":"close"}`
     * frame with the same code, which the client takes as final; returns how many.
     */
    disconnect(user: string, code: number = CloseCode.kicked, reason = 'disconnected') {
      const targets = [...sessions.ofUser(user)]
      for (const session of targets) session.close(code, reason)
      return targets.length
    },
    /** Sockets of `user` on this node. */
    socketsOf: (user: string) => sessions.countOf(user),
    get connections() {
      return sessions.size
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
      stopLiveness()
      for (const session of sessions.all()) session.close(CloseCode.shutdown, 'server shutting down')
      await new Promise<void>((resolve) => {
        wss.close(() => resolve())
        // Sockets that do not finish the closing handshake in time are cut.
        setTimeout(() => {
          for (const session of sessions.all()) session.socket.terminate()
          resolve()
        }, 1000).unref()
      })
      await new Promise<void>((resolve) => http.close(() => resolve()))
      await bus.close()
    },
  }
}

export type ReferenceServer = ReturnType<typeof createServer>
