// The peer: one socket.io 4 node with @socket.io/redis-streams-adapter and connection-state
// recovery (socket.io's published answer to "pushes that survive reconnects and lost nodes").
// Sockets log in with the reference server's token in `auth` and join the room of their user and
// of their channel; POST /push {event, msg, rooms} emits to those rooms through the adapter.
import { createServer } from 'node:http'
import { createAdapter } from '@socket.io/redis-streams-adapter'
import { createClient } from 'redis'
import { Server } from 'socket.io'
import { verifyToken } from '../../examples/server/dist/index.mjs'

const redis = createClient({ url: process.env.REDIS_URL })
redis.on('error', (error) => console.error('redis:', error.message))
await redis.connect()

const http = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/push') return response.writeHead(404).end()
  let body = ''
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    const { event, msg, rooms } = JSON.parse(body)
    io.to(rooms).emit(event, msg)
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  })
})
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  // Its default maxLen (10,000 entries for all rooms together) is raised so that the history
  // window covers every benchmark; the sessions live 2 minutes.
  adapter: createAdapter(redis, { maxLen: 100_000 }),
  connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true },
})
io.use((socket, next) => {
  const { user, token } = socket.handshake.auth
  next(typeof user === 'string' && verifyToken('bench', user, String(token)) === 'ok' ? undefined : new Error('invalid token'))
})
io.on('connection', (socket) => {
  // A recovered socket has its rooms back already; joining again is harmless.
  const { user, channel } = socket.handshake.auth
  socket.join(user)
  if (typeof channel === 'string') socket.join(channel)
})
http.listen(0, '127.0.0.1', () => console.log(`PORT ${http.address().port}`))
process.on('SIGTERM', () => io.close(() => redis.quit().finally(() => process.exit(0))))
