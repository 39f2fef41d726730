// The peer on a Redis Cluster: one socket.io 4 node with @socket.io/redis-adapter's sharded adapter
// (SPUBLISH/SSUBSCRIBE through node-redis cluster clients, REDIS_CLUSTER=host:port,...). It has no
// connection-state recovery (that needs the streams adapter), so it takes part in the fan-out only.
// Sockets log in as in socketio-node.mjs; POST /push {event, msg, rooms} emits to those rooms.
import { createServer } from 'node:http'
import { createShardedAdapter } from '@socket.io/redis-adapter'
import { createCluster } from 'redis'
import { Server } from 'socket.io'
import { verifyToken } from '../../examples/server/dist/index.mjs'

const pub = createCluster({ rootNodes: process.env.REDIS_CLUSTER.split(',').map((node) => ({ url: `redis://${node}` })) })
const sub = pub.duplicate()
for (const client of [pub, sub]) client.on('error', (error) => console.error('redis:', error.message))
await Promise.all([pub.connect(), sub.connect()])

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
// "static": one channel per namespace. Its default, "dynamic" (a channel per room), kills the process
// with node-redis 5.12's cluster client once rooms empty: the unsubscribe of a shard's last channel
// destroys a pub/sub client already closed (an unhandled ClientClosedError).
const io = new Server(http, { transports: ['websocket'], serveClient: false, adapter: createShardedAdapter(pub, sub, { subscriptionMode: 'static' }) })
io.use((socket, next) => {
  const { user, token } = socket.handshake.auth
  next(typeof user === 'string' && verifyToken('bench', user, String(token)) === 'ok' ? undefined : new Error('invalid token'))
})
io.on('connection', (socket) => {
  const { user, channel } = socket.handshake.auth
  socket.join(user)
  if (typeof channel === 'string') socket.join(channel)
})
http.listen(0, '127.0.0.1', () => console.log(`PORT ${http.address().port}`))
// Not closing the Redis clients: the adapter's unsubscribes, still under way, would meet a closed client and throw.
process.on('SIGTERM', () => io.close(() => process.exit(0)))
