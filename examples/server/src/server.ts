import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { createAuthenticator, credentialsInUrl } from './auth'
import { Channels } from './channels'
import { CloseCode, ReplyCode } from './codes'
import { createDedupe } from './dedupe'
import { createDelivery } from './delivery'
import type { Engine } from './engine'
import { memoryEngine } from './engine-memory'
import { redisEngine } from './engine-redis'
import { BUILT_IN_EVENTS, type Handler } from './handlers'
import { createHttp, createRoutes } from './http'
import { envelopeRule, toIngestRule } from './ingest'
import { startLiveness } from './liveness'
import { createLogin } from './login'
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options'
import { createPresence } from './presence'
import { createPush } from './push'
import { createReceiver } from './requests'
import { replyData, Session } from './session'
import { Sessions } from './sessions'

export { CloseCode, ReplyCode, ReplyError } from './codes'
export type { Handler, HandlerContext } from './handlers'
export type { ServerOptions } from './options'

/**
 * The reference server: the default protocol over `ws`, pushes to users and channels with history
 * and recovery, push over HTTP, optional Redis for several nodes. This file only wires the parts
 * together; each concern lives in its own file.
 */
export function createServer(serverOptions: ServerOptions) {
  const options = resolveOptions(serverOptions)
  const { host, port, log, redisUrl } = options
  const handlers = new Map<string, Handler>()
  const sessions = new Sessions((user, count) => {
    currentEngine()
      .setPresence(user, count)
      .catch((error) => log('presence update failed:', error.message))
  })
  const channels = new Channels()
  const presence = createPresence({ engine: currentEngine, limit: options.presenceLimit, log })
  const delivery = { ...createDelivery(sessions, channels), signal: presence.deliver }
  // With Redis, the engine exists once listen() has connected it; sockets arrive only after that.
  const nodeId = redisUrl ? randomUUID() : 'local'
  let engine: Engine | undefined = redisUrl ? undefined : memoryEngine(delivery, options.history)
  function currentEngine() {
    if (!engine) throw new Error('the Redis engine connects in listen(): call it first')
    return engine
  }
  let closing = false

  const push = createPush({ engine: currentEngine, sessions, channels })
  const login = createLogin({ authenticate: createAuthenticator(options), sessions, engine: currentEngine, dedupe: options.dedupe, log })
  const dedupe = options.dedupe > 0 ? createDedupe(dedupeLimits(options), { store: () => currentEngine().dedupe, unavailable, log }) : undefined
  const receive = createReceiver({ options, handlers, login, channels, authorize: options.authorize, engine: currentEngine, presence, push, dedupe })
  const health = () => ({ ok: true, node: nodeId, connections: sessions.size, users: sessions.userCount, channels: channels.size })
  const http = createHttp(options, createRoutes({ options, push, health, engine: currentEngine }))
  const wss = new WebSocketServer({ server: http, maxPayload: options.maxPayload })
  wss.on('connection', accept)
  const stopLiveness = startLiveness(sessions, options)

  function accept(socket: WebSocket, request: IncomingMessage) {
    const session = new Session(socket, options, ended)
    sessions.add(session)
    socket.on('message', (raw, isBinary) => receive(session, raw, isBinary))
    socket.on('error', (error) => log('socket error:', error.message))
    const credentials = credentialsInUrl(request.url)
    if (credentials) void login.fromUrl(session, credentials.u, credentials.token)
  }

  function ended(session: Session) {
    channels.removeAll(session)
    presence.removeAll(session)
    sessions.remove(session)
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
    /** Sockets following `channel` on this node. */
    subscribersOf: (channel: string) => channels.countOf(channel),
    get connections() {
      return sessions.size
    },
    get port() {
      return (http.address() as AddressInfo | null)?.port ?? 0
    },
    get nodeId() {
      return nodeId
    },
    /** Connects Redis (if configured) and starts listening. */
    async listen() {
      if (redisUrl) {
        const ingest = [envelopeRule(options.channel), ...options.ingest.map(toIngestRule)]
        const { redisPrefix: prefix, presenceTtl, history } = options
        engine = await redisEngine({ url: redisUrl, nodeId, prefix, presenceTtl, history, ingest, log }, delivery)
      }
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject)
        http.listen(port, host, () => resolve())
      })
      log(`listening on ${host}:${this.port}`, redisUrl ? 'with Redis' : 'in memory')
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
      await engine?.close()
    },
  }
}

const dedupeLimits = (options: ResolvedOptions) => ({
  window: options.dedupe,
  entries: Math.max(1, options.dedupeEntries),
  perUser: Math.max(1, options.dedupePerUser),
})

/** The answer to a request that could not be checked for duplicates (Redis unreachable): it did not run. */
const unavailable = replyData(ReplyCode.internal, 'request not run: duplicates cannot be checked', () => {})

export type ReferenceServer = ReturnType<typeof createServer>
