// Runs the reference server from environment variables; see docs/server.md.
import { createServer } from './server'

const env = process.env
const number = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback)

const secret = env.MP_SECRET
if (!secret) {
  console.error('MP_SECRET is required: the secret that signs login tokens (and guards POST /push)')
  process.exit(2)
}

const server = createServer({
  host: env.HOST || '127.0.0.1',
  port: number('PORT', 9502),
  secret,
  pushSecret: env.MP_PUSH_SECRET || secret,
  loginTimeout: number('LOGIN_TIMEOUT', 10_000),
  pingInterval: number('PING_INTERVAL', 20_000),
  idleTimeout: number('IDLE_TIMEOUT', 60_000),
  maxPayload: number('MAX_PAYLOAD', 64 * 1024),
  rateLimit: env.RATE_LIMIT === '0' ? false : { messages: number('RATE_LIMIT', 200), interval: 1000 },
  redisUrl: env.REDIS_URL || undefined,
  channel: env.REDIS_CHANNEL || undefined,
  log: env.QUIET ? undefined : (...args: unknown[]) => console.log(new Date().toISOString(), ...args),
})

// Replies with whatever it is sent: handy to try a client against.
server.handle('echo', (data) => data)

server.listen().then(
  () => console.log(`mp-socket reference server on ws://${env.HOST || '127.0.0.1'}:${server.port} (node ${server.nodeId})`),
  (error) => {
    console.error('cannot start:', error.message)
    process.exit(1)
  },
)

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}
