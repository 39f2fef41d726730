import type { Engine, EngineListener, HistoryOptions } from './engine'
import type { IngestRule } from './ingest'
import { connectRedis, type RedisTarget } from './redis-connection'
import { redisDedupe } from './redis-dedupe'
import { CLAIM_WINDOW, subscribeIngest } from './redis-ingest'
import { redisKeys } from './redis-keys'
import { redisMembers } from './redis-members'
import { redisPresence } from './redis-presence'
import { loadScripts } from './redis-scripts'
import { hearLive, redisStreams } from './redis-streams'

export interface RedisEngineOptions {
  redis: RedisTarget
  /** This node's id in presence entries. */
  nodeId: string
  /** Prefix of every key and internal channel. @default 'mp-socket' */
  prefix: string
  /** Presence keys live this long unless refreshed, in seconds. @default 90 */
  presenceTtl?: number
  history: HistoryOptions
  /** Channels other programs publish on (the push envelope channel among them), and how to read them. */
  ingest: IngestRule[]
  log: (...args: unknown[]) => void
}

/**
 * Several nodes: every publication goes through Redis (redis-streams.ts), so a client recovers on
 * whichever node it reconnects to; ingest channels are claimed once (redis-ingest.ts); presence
 * counts sockets across nodes (redis-presence.ts), and channel members (redis-members.ts);
 * requests run once whatever node a retry reaches (redis-dedupe.ts). On one Redis or a Redis Cluster
 * (redis-keys.ts: every script stays in one slot; publications go out on sharded channels).
 */
export async function redisEngine(options: RedisEngineOptions, listener: EngineListener): Promise<Engine> {
  const { prefix, history, log, nodeId } = options
  const keys = redisKeys(prefix)
  const { commands, subscriber, destroy } = await connectRedis(options.redis, log)
  const run = await loadScripts(commands)
  const streams = redisStreams(commands, run, { keys, history, claimWindow: CLAIM_WINDOW })
  const hear = (raw: string, channel: string) => hearLive(raw, listener) || log('ignored a malformed message on', channel)
  await Promise.all(keys.allLive().map((channel) => subscriber.sSubscribe(channel, hear)))
  await subscribeIngest(subscriber, options.ingest, streams.publish, listener, log)
  const ttl = options.presenceTtl || 90
  const presence = redisPresence(commands, { keys, nodeId, ttl, log })
  const members = redisMembers(commands, run, { keys, nodeId, ttl, signal: streams.signal, log })

  return {
    nodeId,
    publish: streams.publish,
    broadcast: streams.broadcast,
    recover: streams.recover,
    history: streams.history,
    signal: streams.signal,
    members,
    setPresence: presence.set,
    online: presence.online,
    dedupe: redisDedupe(commands, keys),
    async close() {
      await Promise.all([presence.close(), members.close()])
      destroy()
    },
  }
}
