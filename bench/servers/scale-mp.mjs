// The reference server as deployed (its defaults: history 100 entries for 300 s, dedupe 60 s,
// presence 90 s) on REDIS_URL, every channel allowed, only the limits a benchmark would trip
// turned off; prints its port. PRESENCE_TTL: the scale section keeps presence refreshes out of its
// measured windows with a long one, and measures what they cost with a short one.
import { allowPatterns, createServer } from '../../examples/server/dist/index.mjs'

const server = createServer({
  secret: 'bench',
  port: 0,
  rateLimit: false,
  loginTimeout: 60_000,
  idleTimeout: 600_000,
  redisUrl: process.env.REDIS_URL,
  authorize: allowPatterns(['*']),
  presenceTtl: Number(process.env.PRESENCE_TTL || 90),
})
await server.listen()
console.log(`PORT ${server.port}`)
process.on('SIGTERM', () => server.close().then(() => process.exit(0)))
