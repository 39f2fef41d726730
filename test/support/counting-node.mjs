#!/usr/bin/env node
// A reference server node whose one handler counts its runs in Redis, for the exactly-once tests:
// `work` adds 1 to the field `data.key` of the hash `runs:<this node's port>` (COUNTER_URL), after
// waiting `data.ms` (a handler that takes a while, so that drops and kills land while it runs).
// The counter outlives a SIGKILLed node, and per-node hashes say which node ran what.
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
server.handle('work', async (data) => {
  if (data.ms) await new Promise((resolve) => setTimeout(resolve, data.ms))
  await counter.hIncrBy(`runs:${server.port}`, data.key, 1)
  return data.key
})
await server.listen()
console.log(`mp-socket reference server on ws://127.0.0.1:${server.port}`)
