import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { createAuthenticator, credentialsInUrl } from './auth'
import { Channels } from './channels'
import { CloseCode, ReplyCode } from './codes'
import { createDedupe } from './dedupe'
import { localControl, redisControl, type Control, type Question } from './control'
import { createDelivery } from './delivery'
import { disconnectHere, parseDisconnect } from './disconnect'
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
import type { ReferenceServer } from './reference-server'
import { createReceiver } from './requests'
import { replyData, Session } from './session'
import { Sessions } from './sessions'
import { drain, PresenceWrites } from './shutdown'

export { CloseCode, ReplyCode, ReplyError } from './codes'
export type { Handler, HandlerContext } from './handlers'
export type { ServerOptions } from './options'
export type { ReferenceServer } from './reference-server'

/**
 * The reference server: the default protocol over `ws`, pushes to users and channels with history
 * and recovery, push over HTTP, optional Redis for several nodes. This file only wires the parts
 * together; each concern lives in its own file.
 */
export function createServer(serverOptions: ServerOptions): ReferenceServer {
  const options = resolveOptions(serverOptions)
  const { host, port, log, redis } = options
  const handlers = new Map<string, Handler>()
  const presenceWrites = new PresenceWrites()
  const sessions = new Sessions((user, count) => {
    presenceWrites.track(currentEngine().setPresence(user, count).catch((error) => log('presence update failed:', error.message)))
  })
  const channels = new Channels()
  const presence = createPresence({ engine: currentEngine, limit: options.presenceLimit, log })
  const delivery = { ...createDelivery(sessions, channels), signal: presence.deliver }
  // With Redis, the engine exists once listen() has connected it; sockets arrive only after that.
  const nodeId = redis ? randomUUID() : 'local'
  let engine: Engine | undefined = redis ? undefined : memoryEngine(delivery, options.history)
  function currentEngine() {
    if (!engine) throw new Error('the Redis engine connects in listen(): call it first')
    return engine
  }
  /** What this node answers when the cluster asks about its sockets. */
  const answer = (question: Question) => {
    if ('disconnect' in question) return disconnectHere(sessions, question.disconnect)
    if ('subscribers' in question) return channels.countOf(question.subscribers)
    return sessions.boundCount
  }
  let control: Control = localControl(answer)
  let closing = false

  const push = createPush({ engine: currentEngine, sessions, ask: (question) => control.ask(question) })
  // In memory, the replies remembered die with this process: a restarted server is a new scope.
  const localScope = randomUUID()
  const dedupeScope = () => (currentEngine().dedupe ? currentEngine().dedupe!.scope() : Promise.resolve(localScope))
  const login = createLogin({ authenticate: createAuthenticator(options), sessions, engine: currentEngine, dedupe: options.dedupe, dedupeScope, log })
  const dedupe = options.dedupe > 0 ? createDedupe(dedupeLimits(options), { store: () => currentEngine().dedupe, unavailable, log }) : undefined
  const receive = createReceiver({ options, handlers, login, channels, authorize: options.authorize, engine: currentEngine, presence, push, dedupe })
  const health = () => ({ ok: true, node: nodeId, connections: sessions.size, users: sessions.userCount, channels: channels.size })
  const disconnect = (order: Parameters<typeof disconnectHere>[1]) => control.ask({ disconnect: order })
  const http = createHttp(options, createRoutes({ options, push, disconnect, health, engine: currentEngine }))
  const wss = new WebSocketServer({ server: http, maxPayload: options.maxPayload })
  wss.on('connection', accept)
  const stopLiveness = startLiveness(sessions, options)

  function accept(socket: WebSocket, request: IncomingMessage) {
    const session = new Session(socket, options, ended)
    sessions.add(session)
    socket.on('message', (raw, isBinary) => {
      session.batch()
      receive(session, raw, isBinary)
    })
    socket.on('error', (error) => log('socket error:', error.message))
    const credentials = credentialsInUrl(request.url)
    if (credentials) void login.fromUrl(session, credentials.u, credentials.token)
  }

  function ended(session: Session) {
    channels.removeAll(session)
    presence.removeAll(session)
    sessions.remove(session)
  }

  const server: ReferenceServer = {
    handle(event, handler) {
      if (BUILT_IN_EVENTS.includes(event)) throw new Error(`"${event}" is built in`)
      handlers.set(event, handler)
      return server
    },
    push,
    async disconnect(to, code = CloseCode.kicked, reason = 'disconnected') {
      const order = parseDisconnect({ to, code, reason })
      if (typeof order === 'string') throw new TypeError(`disconnect: ${order}`)
      return disconnect(order)
    },
    socketsOf: (user) => sessions.countOf(user),
    subscribersOf: (channel) => channels.countOf(channel),
    get connections() {
      return sessions.size
    },
    get port() {
      return (http.address() as AddressInfo | null)?.port ?? 0
    },
    get nodeId() {
      return nodeId
    },
    async listen() {
      if (redis) {
        const ingest = [envelopeRule(options.channel, (order) => disconnectHere(sessions, order)), ...options.ingest.map(toIngestRule)]
        const { redisPrefix: prefix, presenceTtl, history } = options
        engine = await redisEngine({ redis, nodeId, prefix, presenceTtl, history, ingest, log }, delivery)
        control = await redisControl({ redis, prefix, nodeId, log }, answer)
      }
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject)
        http.listen(port, host, () => resolve())
      })
      log(`listening on ${host}:${server.port}`, !redis ? 'in memory' : 'url' in redis ? 'with Redis' : 'with a Redis Cluster')
      return server
    },
    async close() {
      if (closing) return
      closing = true
      stopLiveness()
      await drain({ http, wss, sessions, presence: presenceWrites, clearPresence: (user) => currentEngine().setPresence(user, 0) })
      await control.close()
      await engine?.close()
    },
  }
  return server
}

const dedupeLimits = (options: ResolvedOptions) => ({
  window: options.dedupe,
  entries: Math.max(1, options.dedupeEntries),
  perUser: Math.max(1, options.dedupePerUser),
})

/** The answer to a request that could not be checked for duplicates (Redis unreachable): it did not run. */
const unavailable = replyData(ReplyCode.internal, 'request not run: duplicates cannot be checked', () => {})
