#!/usr/bin/env node
// A reference server node whose one handler counts its runs in Redis, for the exactly-once tests:
// `work` adds 1 to the field `data.key` of the hash `runs:<this node's port>` (COUNTER_URL), after
// waiting `data.ms` (a handler that takes a while, so that drops and kills land while it runs).
// The counter outlives a SIGKILLed node, and per-node hashes say which node ran what. Beside the
// count of runs, the effect an app would make idempotent: `effects` gets 1 per key only the first
// time its (user, request id) is seen, in one script (the marker and the effect cannot part).
import { createClient } from 'redis'
import { createServer } from '../../examples/server/dist/index.mjs'

const env = process.env
const counter = createClient({ url: env.COUNTER_URL })
counter.on('error', () => {})
await counter.connect()

const server = createServer({
  port: Number(env.PORT || 0),
  secret: env.MP_SECRET,
  rateLimit: false,
  dedupe: Number(env.DEDUPE ?? 60_000),
  redisUrl: env.REDIS_URL || undefined,
  redisCluster: env.REDIS_CLUSTER ? env.REDIS_CLUSTER.split(',').map((node) => `redis://${node}`) : undefined,
})
const EFFECT_ONCE = "if redis.call('set', KEYS[1], '1', 'NX') then redis.call('hincrby', KEYS[2], ARGV[1], 1) end"
server.handle('work', async (data, { user, requestId }) => {
  if (data.ms) await new Promise((resolve) => setTimeout(resolve, data.ms))
  await counter.hIncrBy(`runs:${server.port}`, data.key, 1)
  await counter.eval(EFFECT_ONCE, { keys: [`effect:${JSON.stringify(user)}:${requestId}`, 'effects'], arguments: [data.key] })
  // Work after the effect (`data.after` ms): a node killed then has made the effect but stored no reply.
  if (data.after) await new Promise((resolve) => setTimeout(resolve, data.after))
  return data.key
})
await server.listen()
console.log(`mp-socket reference server on ws://127.0.0.1:${server.port}`)
