// The peer: one socket.io 4 node with @socket.io/redis-streams-adapter and connection-state
// recovery (socket.io's published answer to "pushes that survive reconnects and lost nodes").
// Sockets log in and get pushes as socketio-peer.mjs has them, through the adapter.
import { createAdapter } from '@socket.io/redis-streams-adapter'
import { createClient } from 'redis'
import { startPeer } from './socketio-peer.mjs'

const redis = createClient({ url: process.env.REDIS_URL })
redis.on('error', (error) => console.error('redis:', error.message))
await redis.connect()

const io = startPeer({
  // Its default maxLen (10,000 entries for all rooms together) is raised so that the history
  // window covers every benchmark; the sessions live 2 minutes.
  adapter: createAdapter(redis, { maxLen: 100_000 }),
  connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true },
})
process.on('SIGTERM', () => io.close(() => redis.quit().finally(() => process.exit(0))))
