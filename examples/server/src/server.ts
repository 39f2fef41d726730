import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { memoryBus, parsePush, redisBus, type Bus, type PushMessage } from './bus'
import { CloseCode } from './codes'
import { BUILT_IN_EVENTS, type Handler, type PushInput } from './handlers'
import { createRoutes, json } from './http'
import { startLiveness } from './liveness'
import { resolveOptions, type ServerOptions } from './options'
import { createReceiver } from './requests'
import { Session } from './session'
import { Sessions } from './sessions'
import { verifyToken } from './token'

export { CloseCode, ReplyCode, ReplyError } from './codes'
export type { Handler, HandlerContext } from './handlers'
export type { ServerOptions } from './options'

/**
 * The reference server: the default protocol over `ws`, push over HTTP, optional Redis fan-out.
 * This file only wires the parts together; each concern lives in its own file.
 */
export function createServer(serverOptions: ServerOptions) {
  const options = resolveOptions(serverOptions)
  const { host, port, secret, log } = options
  const verifyLogin = options.verifyLogin || ((u: string, token: string) => verifyToken(secret, u, token))
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
    const count = await bus.publish(parsed)
    // A broadcast through Redis reaches every node; this node's sockets are the part it can count.
    return count ?? sessions.boundCount
  }

  const receive = createReceiver({ options, handlers, sessions, verifyLogin, push })
  const route = createRoutes({
    options,
    push,
    health: () => ({ ok: true, node: bus.nodeId, connections: sessions.size, users: sessions.userCount }),
  })
  const http = createHttpServer((request, response) => {
    route(request, response).catch((error) => {
      log('http error:', error)
      if (!response.headersSent) json(response, 500, { error: 'internal error' })
    })
  })
  const wss = new WebSocketServer({ server: http, maxPayload: options.maxPayload })
  wss.on('connection', accept)
  const stopLiveness = startLiveness(sessions, options)

  function accept(socket: WebSocket) {
    const session = new Session(socket)
    sessions.add(session)
    session.loginTimer = setTimeout(() => session.close(CloseCode.loginTimeout, 'login timeout'), options.loginTimeout)
    socket.on('message', (raw, isBinary) => receive(session, raw, isBinary))
    socket.on('close', () => {
      session.dispose()
      sessions.remove(session)
    })
    socket.on('error', (error) => log('socket error:', error.message))
  }

  return {
    /** Registers the handler of a client request event. */
    handle(event: string, handler: Handler) {
      if (BUILT_IN_EVENTS.includes(event)) throw new Error(`"${event}" is built in`)
      handlers.set(event, handler)
      return this
    },
    push,
    /** Closes every socket of `user` (e.g. after a logout elsewhere); returns how many. */
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
