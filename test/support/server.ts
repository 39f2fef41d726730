import { createHmac } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

export const SECRET = 'test-secret'
export const tokenFor = (u: string) => createHmac('sha256', SECRET).update(u).digest('hex')

type Handler = (data: any, socket: WebSocket) => unknown | Promise<unknown>

/**
 * A small server speaking the default protocol (seed 002's), for integration tests: login with an
 * HMAC token, `ping` (error when the socket is not logged in), handlers by event, pushes by user,
 * server pings. The full reference server lives in examples/server.
 */
export async function startServer(options: { port?: number; silent?: boolean } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0 })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  const users = new Map<WebSocket, string>()
  const received: any[] = []
  const handlers = new Map<string, Handler>([['echo', (data) => data]])
  let connections = 0

  const reply = (socket: WebSocket, uuid: unknown, error: number, body: unknown) =>
    socket.send(JSON.stringify({ type: 'respon', event: uuid, data: { error, body } }))

  wss.on('connection', (socket) => {
    connections++
    socket.on('message', async (raw) => {
      let message: any
      try {
        message = JSON.parse(String(raw))
      } catch {
        return
      }
      received.push(message)
      const { event, data, uuid } = message
      if (event === 'login') {
        if (data && typeof data.u === 'string' && data.token === tokenFor(data.u)) {
          users.set(socket, data.u)
          reply(socket, uuid, 0, '登录成功')
        } else {
          reply(socket, uuid, 1, 'bad token')
        }
      } else if (event === 'ping') {
        reply(socket, uuid, users.has(socket) ? 0 : 1, users.has(socket) ? 'pong' : 'not logged in')
      } else if (event === 'response') {
        // answer to our ping
      } else if (handlers.has(event)) {
        try {
          reply(socket, uuid, 0, await handlers.get(event)!(data, socket))
        } catch (error) {
          reply(socket, uuid, 500, String(error))
        }
      } else if (uuid !== undefined) {
        reply(socket, uuid, 404, `unknown event ${event}`)
      }
    })
    socket.on('close', () => users.delete(socket))
  })

  const port = (wss.address() as AddressInfo).port
  return {
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    received,
    handle: (event: string, handler: Handler) => handlers.set(event, handler),
    get connections() {
      return connections
    },
    get open() {
      return wss.clients.size
    },
    /** Pushes `{type:'app', event, msg}` to every socket of `user`; returns how many got it. */
    push(user: string, event: string, msg: unknown) {
      let count = 0
      for (const [socket, u] of users) {
        if (u === user) {
          socket.send(JSON.stringify({ type: 'app', event, msg, to: user }))
          count++
        }
      }
      return count
    },
    ping(uuid: unknown) {
      for (const socket of wss.clients) socket.send(JSON.stringify({ type: 'ping', uuid }))
    },
    /** Forgets every login, as a restarted server with a wiped Redis would. */
    forgetLogins: () => users.clear(),
    dropAll(code = 1012, reason = 'restart') {
      for (const socket of wss.clients) socket.close(code, reason)
    },
    async stop() {
      for (const socket of wss.clients) socket.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    },
  }
}

export type TestServer = Awaited<ReturnType<typeof startServer>>
