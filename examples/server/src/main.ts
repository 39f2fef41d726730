#!/usr/bin/env node
// Runs the reference server from environment variables; see docs/server.md.
import { allowPatterns } from './channels'
import type { IngestTemplate } from './ingest'
import { createServer } from './server'

const env = process.env
const number = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback)

const secret = env.MP_SECRET
if (!secret) {
  console.error('MP_SECRET is required: the secret that signs login tokens (and guards POST /push)')
  process.exit(2)
}

let ingest: IngestTemplate[] = []
try {
  ingest = env.MP_INGEST ? JSON.parse(env.MP_INGEST) : []
} catch {
  console.error('MP_INGEST must be a JSON array such as [{"from":"tracking_updates","event":"location","channel":"courier:{user_id}"}]')
  process.exit(2)
}
const list = (value: string | undefined) => (value || '').split(',').map((item) => item.trim()).filter(Boolean)
if (env.REDIS_URL && env.REDIS_CLUSTER) {
  console.error('REDIS_URL and REDIS_CLUSTER are exclusive: one Redis, or some nodes of one Redis Cluster (host:port,host:port)')
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
  maxDepth: number('MAX_DEPTH', 32),
  maxBuffered: number('MAX_BUFFERED', 1024 * 1024),
  httpTimeout: number('HTTP_TIMEOUT', 10_000),
  authorize: allowPatterns(list(env.CHANNELS), list(env.PRESENCE_CHANNELS)),
  presenceLimit: number('PRESENCE_LIMIT', 100),
  dedupe: number('DEDUPE', 60_000),
  dedupeEntries: number('DEDUPE_ENTRIES', 100_000),
  dedupePerUser: number('DEDUPE_PER_USER', 1000),
  history: { size: number('HISTORY_SIZE', 100), ttl: number('HISTORY_TTL', 300) },
  redisUrl: env.REDIS_URL || undefined,
  redisCluster: env.REDIS_CLUSTER ? list(env.REDIS_CLUSTER).map((node) => (node.includes('://') ? node : `redis://${node}`)) : undefined,
  redisPrefix: env.REDIS_PREFIX || undefined,
  presenceTtl: number('PRESENCE_TTL', 90),
  channel: env.REDIS_CHANNEL || undefined,
  ingest,
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
