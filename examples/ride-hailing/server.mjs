// A ride-hailing message server in the app's own format (as its node_websocket server speaks it), small enough to
// read in one go and to replace by your own:
// - a client must send {"flag":"login","token":…} within 2 s, or it is disconnected; login is never
//   answered;
// - every other message needs `flag`, `token` (the sender, as logged in) and `target_token`, and is
//   relayed unchanged to the socket logged in with `target_token`; a message missing one of them
//   disconnects its sender;
// - {"flag":"close","token":…} logs out: the server answers {"flag":"close","reason":"logged out"}
//   and closes. The same token logging in elsewhere gets the older socket
//   {"flag":"close","reason":"logged in elsewhere"}; an unknown token {"flag":"close","code":4403,…}.
//   The app's protocol maps these to a final decision, so a logged-out app stays logged out.
// Two additions to that server, both ignored by clients that do not use them: a message with `msg_id`
// whose target is offline is answered {"flag":"error","reply_to":msg_id,"code":404}; and
// `POST /push` (bearer secret) relays a message from your backend (as its Flask relay did).
import { createServer as createHttpServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import { WebSocketServer } from 'ws'

const REQUIRED = ['flag', 'token', 'target_token']

/**
 * @param {{ host?: string, port?: number, users: Record<string, { role: string, name: string }>,
 *   secret?: string, loginTimeout?: number, log?: (...args: unknown[]) => void }} options
 */
export function createRideServer(options) {
  const { host = '127.0.0.1', port = 0, users, secret, loginTimeout = 2000, log = () => {} } = options
  /** token → its socket: one device per token, as in the original server. */
  const online = new Map()
  /** token → how many logins it made: tests read it to see that a logged-out app stays out. */
  const logins = new Map()

  const http = createHttpServer(async (request, response) => {
    if (request.method !== 'POST' || request.url !== '/push') return response.writeHead(404).end()
    if (!secret || request.headers.authorization !== `Bearer ${secret}`) return response.writeHead(401).end()
    let body = ''
    for await (const chunk of request) body += chunk
    const message = parse(body)
    if (!message || !REQUIRED.every((field) => typeof message[field] === 'string')) return response.writeHead(400).end()
    const delivered = relay(message, JSON.stringify(message))
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ delivered }))
  })
  const wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024 })

  function parse(text) {
    try {
      const value = JSON.parse(String(text))
      return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined
    } catch {
      return undefined
    }
  }

  /** The server's final word to one socket: the flag frame, then the close. */
  function finish(socket, reason, code = 4409) {
    socket.send(JSON.stringify(code === 4409 ? { flag: 'close', reason } : { flag: 'close', code, reason }))
    socket.close(code, reason)
  }

  /** Hands `raw` to the socket of `target_token`; 1 when delivered, 0 when that token is offline. */
  function relay(message, raw) {
    const target = online.get(message.target_token)
    if (!target) return 0
    target.send(raw)
    return 1
  }

  wss.on('connection', (socket) => {
    let token
    const deadline = setTimeout(() => socket.close(4401, 'no login within 2 s'), loginTimeout)
    socket.on('close', () => {
      clearTimeout(deadline)
      if (token && online.get(token) === socket) online.delete(token)
    })
    socket.on('error', () => {})
    socket.on('message', (raw) => {
      const message = parse(raw)
      if (!message) return socket.close(4400, 'not a JSON object')
      if (message.flag === 'login') {
        if (typeof message.token !== 'string' || !users[message.token]) return finish(socket, 'unknown token', 4403)
        clearTimeout(deadline)
        const previous = online.get(message.token)
        if (previous && previous !== socket) finish(previous, 'logged in elsewhere')
        token = message.token
        online.set(token, socket)
        logins.set(token, (logins.get(token) || 0) + 1)
        return log('login', users[token].role, users[token].name)
      }
      if (!token) return socket.close(4401, 'login first')
      if (message.flag === 'close') {
        log('logout', users[token].name)
        online.delete(token)
        return finish(socket, 'logged out')
      }
      // The original server's rule: required fields on every message, or the sender is disconnected. The
      // sender's token must be its own: nobody speaks for somebody else.
      if (!REQUIRED.every((field) => typeof message[field] === 'string') || message.token !== token) {
        return socket.close(4400, 'missing or wrong flag, token or target_token')
      }
      if (relay(message, String(raw))) return
      if (message.msg_id !== undefined) {
        socket.send(JSON.stringify({ flag: 'error', reply_to: message.msg_id, code: 404, msg: 'target offline' }))
      }
    })
  })

  return {
    online,
    logins,
    get port() {
      return http.address()?.port
    },
    get url() {
      return `ws://${host}:${this.port}/ws/`
    },
    listen: () => new Promise((resolve) => http.listen(port, host, () => resolve(undefined))),
    close() {
      for (const socket of wss.clients) socket.terminate()
      return new Promise((resolve) => wss.close(() => http.close(() => resolve(undefined))))
    },
  }
}

// `node examples/ride-hailing/server.mjs`: the server alone, for your own apps (stops after MINUTES).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const users = { 'passenger-token': { role: 'passenger', name: 'Li' }, 'driver-token': { role: 'driver', name: 'Wang' } }
  const server = createRideServer({ users, port: Number(process.env.PORT || 19001), secret: process.env.PUSH_SECRET, log: console.log })
  await server.listen()
  console.log(`ride-hailing server on ${server.url} (tokens: ${Object.keys(users).join(', ')})`)
  const stop = () => server.close().then(() => process.exit(0))
  setTimeout(stop, Number(process.env.MINUTES || 30) * 60_000).unref()
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
