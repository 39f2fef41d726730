import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { createAuthenticator, credentialsInUrl } from './auth'
import { Channels } from './channels'
import { CloseCode } from './codes'
import { localControl, redisControl, type Control, type Question } from './control'
import { createDelivery } from './delivery'
import { disconnectHere, parseDisconnect } from './disconnect'
import type { Engine } from './engine'
import { memoryEngine } from './engine-memory'
import { redisEngine } from './engine-redis'
import { BUILT_IN_EVENTS, type Handler } from './handlers'
import { createRoutes, json } from './http'
import { envelopeRule, toIngestRule } from './ingest'
import { startLiveness } from './liveness'
import { resolveOptions, type ServerOptions } from './options'
import { parsePush, publicationData, targetsOf, type PushInput } from './push'
import type { ReferenceServer } from './reference-server'
import { createReceiver } from './requests'
import { Session } from './session'
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
  const { host, port, log } = options
  const authenticate = createAuthenticator(options)
  const handlers = new Map<string, Handler>()
  const presence = new PresenceWrites()
  const sessions = new Sessions((user, count) => {
    presence.track(engine.setPresence(user, count).catch((error) => log('presence update failed:', error.message)))
  })
  const channels = new Channels()
  const delivery = createDelivery(sessions, channels)
  let engine: Engine = memoryEngine(delivery, options.history)
  /** What this node answers when the cluster asks about its sockets. */
  const answer = (question: Question) => {
    if ('disconnect' in question) return disconnectHere(sessions, question.disconnect)
    if ('subscribers' in question) return channels.countOf(question.subscribers)
    return sessions.boundCount
  }
  let control: Control = localControl(answer)
  let closing = false

  /**
   * Pushes `{type:'app', event, msg}` to users (`to`; `*`: everyone logged in, without history)
   * and/or a channel; each user and the channel get it at their stream's next position. Resolves
   * with how many sockets get it across nodes: users from presence, a channel's followers and
   * everyone logged in by asking every node.
   */
  async function push(input: PushInput): Promise<number> {
    const message = parsePush(input)
    if (!message) throw new TypeError('push needs an event and a recipient (to) or a channel')
    const data = publicationData(message) // a SerializationError here, before anything is sent anywhere
    const { streams, everyone } = targetsOf(message)
    if (everyone) await engine.broadcast(data)
    await Promise.all(streams.map((stream) => engine.publish(stream, data)))
    let count = message.channel ? await control.ask({ subscribers: message.channel }) : 0
    if (everyone) return count + (await control.ask({ everyone: true }))
    for (const user of new Set(message.to)) count += (await engine.online(user)) ?? sessions.countOf(user)
    return count
  }

  const receive = createReceiver({
    options,
    handlers,
    sessions,
    channels,
    authenticate,
    authorize: options.authorize,
    engine: () => engine,
    push,
  })
  const route = createRoutes({
    options,
    push,
    disconnect: (order) => control.ask({ disconnect: order }),
    health: () => ({ ok: true, node: engine.nodeId, connections: sessions.size, users: sessions.userCount, channels: channels.size }),
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
      channels.removeAll(session)
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
      return control.ask({ disconnect: order })
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
      return engine.nodeId
    },
    async listen() {
      if (options.redisUrl) {
        const old = engine
        engine = await redisEngine(
          {
            url: options.redisUrl,
            prefix: options.redisPrefix,
            presenceTtl: options.presenceTtl,
            history: options.history,
            ingest: [envelopeRule(options.channel, (order) => disconnectHere(sessions, order)), ...options.ingest.map(toIngestRule)],
            log,
          },
          delivery,
        )
        await old.close()
        control = await redisControl({ url: options.redisUrl, prefix: options.redisPrefix, nodeId: engine.nodeId, log }, answer)
      }
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject)
        http.listen(port, host, () => resolve())
      })
      log(`listening on ${host}:${server.port}`, options.redisUrl ? 'with Redis' : 'in memory')
      return server
    },
    async close() {
      if (closing) return
      closing = true
      stopLiveness()
      await drain({ http, wss, sessions, presence, clearPresence: (user) => engine.setPresence(user, 0) })
      await control.close()
      await engine.close()
    },
  }
  return server
}
