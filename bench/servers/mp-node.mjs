// One reference server node of a cluster of nodes on one Redis (REDIS_URL) or a Redis Cluster
// (REDIS_CLUSTER=host:port,...), every channel allowed; prints its port.
// The limits a benchmark would trip (rate limit, login and idle timeouts) are turned off.
import { allowPatterns, createServer } from '../../examples/server/dist/index.mjs'

const server = createServer({
  secret: 'bench',
  port: 0,
  rateLimit: false,
  maxPayload: 1 << 20,
  loginTimeout: 60_000,
  idleTimeout: 600_000,
  redisUrl: process.env.REDIS_URL,
  redisCluster: process.env.REDIS_CLUSTER?.split(',').map((node) => `redis://${node}`),
  authorize: allowPatterns(['*']),
  history: { size: Number(process.env.HISTORY_SIZE || 1000), ttl: 600 },
})
await server.listen()
console.log(`PORT ${server.port}`)
process.on('SIGTERM', () => server.close().then(() => process.exit(0)))
