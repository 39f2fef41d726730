// The reference server with the limits a benchmark would trip turned off; prints its port.
import { createServer } from '../../examples/server/dist/index.mjs'

// DEDUPE (ms, 0: off) and REDIS_URL as for the CLI: the dedupe section runs it off, in memory and in Redis.
const env = process.env
const server = createServer({
  secret: 'bench',
  port: Number(env.PORT || 0),
  rateLimit: false,
  maxPayload: 1 << 20,
  loginTimeout: 60_000,
  idleTimeout: 600_000,
  dedupe: env.DEDUPE === undefined ? undefined : Number(env.DEDUPE),
  redisUrl: env.REDIS_URL || undefined,
})
server.handle('echo', (data) => data)
// The fault section's handler: counts its runs by key (after `ms` ms), `runs` tells them.
const runs = new Map()
server.handle('work', async (data) => {
  if (data.ms) await new Promise((resolve) => setTimeout(resolve, data.ms))
  runs.set(data.key, (runs.get(data.key) || 0) + 1)
  return data.key
})
server.handle('runs', () => [...runs])
await server.listen()
console.log(`PORT ${server.port}`)
process.on('SIGTERM', () => server.close().then(() => process.exit(0)))
