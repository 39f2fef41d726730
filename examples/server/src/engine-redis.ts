import { createClient } from 'redis'
import type { Engine, EngineListener, HistoryOptions } from './engine'
import type { IngestRule } from './ingest'
import { redisDedupe } from './redis-dedupe'
import { CLAIM_WINDOW, subscribeIngest } from './redis-ingest'
import { redisMembers } from './redis-members'
import { redisPresence } from './redis-presence'
import { loadScripts } from './redis-scripts'
import { hearLive, redisStreams } from './redis-streams'

export interface RedisEngineOptions {
  url: string
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
 * requests run once whatever node a retry reaches (redis-dedupe.ts). Two connections: commands, and pub/sub.
 */
export async function redisEngine(options: RedisEngineOptions, listener: EngineListener): Promise<Engine> {
  const { prefix, history, log, nodeId } = options
  const live = `${prefix}:live`
  const commands = createClient({ url: options.url })
  const subscriber = commands.duplicate()
  for (const client of [commands, subscriber]) client.on('error', (error: Error) => log('redis error:', error.message))
  await Promise.all([commands.connect(), subscriber.connect()])
  const run = await loadScripts(commands)
  const streams = redisStreams(commands, run, { prefix, history, live, claimWindow: CLAIM_WINDOW })
  await subscriber.subscribe(live, (raw) => hearLive(raw, listener) || log('ignored a malformed message on', live))
  await subscribeIngest(subscriber, options.ingest, streams.publish, listener, log)
  const ttl = options.presenceTtl || 90
  const presence = redisPresence(commands, { prefix, nodeId, ttl, log })
  const members = redisMembers(commands, run, { prefix, nodeId, ttl, signal: streams.signal, log })

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
    dedupe: redisDedupe(commands, prefix),
    async close() {
      await Promise.all([presence.close(), members.close()])
      subscriber.destroy()
      commands.destroy()
    },
  }
}
