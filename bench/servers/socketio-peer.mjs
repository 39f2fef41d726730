// What the socket.io peers of the multi-node benchmarks share (socketio-node.mjs on one Redis,
// socketio-sharded-node.mjs on a Redis Cluster): sockets log in with the reference server's token in
// `auth` and join the room of their user and of their channel; POST /push {event, msg, rooms} emits
// to those rooms through the adapter.
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { verifyToken } from '../../examples/server/dist/index.mjs'

/** A socket.io 4 node with `options` (its adapter) on a free port of 127.0.0.1, which it prints as `PORT n`. */
export function startPeer(options) {
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
  const io = new Server(http, { transports: ['websocket'], serveClient: false, ...options })
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
  return io
}
