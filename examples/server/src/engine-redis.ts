import { randomUUID } from 'node:crypto'
import { createClient } from 'redis'
import type { Engine, EngineListener, HistoryOptions } from './engine'
import { newEpoch } from './engine-memory'
import { ingestNamer, mapIngest, type IngestRule } from './ingest'
import { publicationData, targetsOf } from './push'
import type { Position, Publication } from './streams'

export interface RedisEngineOptions {
  url: string
  /** Prefix of every key and internal channel. @default 'mp-socket' */
  prefix: string
  /** Presence keys live this long unless refreshed, in seconds. @default 90 */
  presenceTtl?: number
  history: HistoryOptions
  /** Channels other programs publish on (the push envelope channel among them), and how to read them. */
  ingest: IngestRule[]
  log: (...args: unknown[]) => void
}

// Entries belong to the epoch of the meta hash. The two keys can part (maxmemory eviction picks keys
// one by one, or someone deletes one): when the meta hash is gone and a new epoch is started, the
// entries left in the stream key are of the lost epoch and are dropped with it. Kept, they would be
// replayed under the new epoch as if they were its own, and XADD of the new epoch's `1-1` would be
// refused as lower than their ids (after the offset was counted: a script's writes are not undone).
const startEpochIfNone = (epoch: string) => `if redis.call('hsetnx', KEYS[2], 'e', ${epoch}) == 1 then redis.call('del', KEYS[1]) end`

// Appends to a stream and announces it in one step, so that history and live delivery cannot
// disagree: the offset comes from the stream's meta hash, the entry id is `<offset>-1` (so XRANGE
// finds an offset directly), and both keys expire `ttl` seconds after the last publication. With a
// third key, the publication happens only if that claim is new (ingest: once whatever the nodes).
const PUBLISH = `
if #KEYS == 3 and not redis.call('set', KEYS[3], '1', 'NX', 'PX', ARGV[7]) then return false end
${startEpochIfNone('ARGV[6]')}
local epoch = redis.call('hget', KEYS[2], 'e')
local offset = redis.call('hincrby', KEYS[2], 'o', 1)
redis.call('xadd', KEYS[1], 'MAXLEN', '~', ARGV[2], offset .. '-1', 'd', ARGV[1])
redis.call('expire', KEYS[1], ARGV[3])
redis.call('expire', KEYS[2], ARGV[3])
redis.call('publish', ARGV[4], ARGV[5] .. '\\n' .. epoch .. '\\n' .. offset .. '\\n' .. ARGV[1])
return {epoch, offset}
`

// The stream's epoch (created if the stream is new or its history was lost, e.g. Redis flushed)
// and top offset, and the entries after ARGV[3] when one is given.
const RECOVER = `
${startEpochIfNone('ARGV[1]')}
redis.call('expire', KEYS[2], ARGV[2])
local epoch = redis.call('hget', KEYS[2], 'e')
local top = tonumber(redis.call('hget', KEYS[2], 'o') or '0')
if ARGV[3] == '' or tonumber(ARGV[3]) >= top then return {epoch, top} end
return {epoch, top, redis.call('xrange', KEYS[1], (tonumber(ARGV[3]) + 1) .. '-0', '+', 'COUNT', top - tonumber(ARGV[3]))}
`

type Reply = string | number | null | Reply[]

/**
 * Several nodes: every publication goes through Redis (history in a Redis Stream per user or
 * channel, trimmed with `MAXLEN ~` and expiring with a TTL; live delivery over one pub/sub channel
 * that every node hears), so a client recovers on whichever node it reconnects to. Presence:
 * `<prefix>:online:<user>` is a set of node ids, `<prefix>:online:<user>:<node>` that node's socket
 * count, both with a TTL the node refreshes while it has sockets.
 */
export async function redisEngine(options: RedisEngineOptions, listener: EngineListener): Promise<Engine> {
  const { prefix, history, log } = options
  const presenceTtl = options.presenceTtl || 90
  const nodeId = randomUUID()
  const live = `${prefix}:live`
  const commands = createClient({ url: options.url })
  const subscriber = commands.duplicate()
  for (const client of [commands, subscriber]) client.on('error', (error: Error) => log('redis error:', error.message))
  await Promise.all([commands.connect(), subscriber.connect()])
  const scripts = { publish: { source: PUBLISH, sha: '' }, recover: { source: RECOVER, sha: '' } }
  for (const script of Object.values(scripts)) script.sha = await commands.scriptLoad(script.source)

  /** EVALSHA, loading the script again if Redis lost it (a restart). */
  async function run(script: { source: string; sha: string }, keys: string[], args: string[]): Promise<Reply> {
    const call = () => commands.sendCommand(['EVALSHA', script.sha, String(keys.length), ...keys, ...args]) as Promise<Reply>
    try {
      return await call()
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error
      script.sha = await commands.scriptLoad(script.source)
      return call()
    }
  }

  const streamKey = (stream: string) => `${prefix}:stream:${stream}`
  const metaKey = (stream: string) => `${prefix}:meta:${stream}`

  await subscriber.subscribe(live, (raw) => {
    // `<stream>\n<epoch>\n<offset>\n<data>`; a broadcast has `*` and no position.
    const a = raw.indexOf('\n')
    const b = raw.indexOf('\n', a + 1)
    const c = raw.indexOf('\n', b + 1)
    if (a < 0 || b < 0 || c < 0) return log('ignored a malformed message on', live)
    const stream = raw.slice(0, a)
    const data = raw.slice(c + 1)
    if (stream === '*') return listener.broadcast(data)
    listener.publication({ stream, epoch: raw.slice(a + 1, b), offset: Number(raw.slice(b + 1, c)), data })
  })

  async function publish(stream: string, data: string, claim?: string): Promise<Publication | undefined> {
    const keys = [streamKey(stream), metaKey(stream)]
    if (claim) keys.push(`${prefix}:claim:${claim}:${stream}`)
    const reply = await run(scripts.publish, keys, [data, String(history.size), String(history.ttl), live, stream, newEpoch(), String(CLAIM_WINDOW)])
    if (!Array.isArray(reply)) return undefined
    return { stream, epoch: String(reply[0]), offset: Number(reply[1]), data }
  }

  // Every node hears an ingest channel; the claim makes one of them store and deliver each message.
  const nameOf = ingestNamer(CLAIM_WINDOW)
  for (const rule of options.ingest) {
    await subscriber.subscribe(rule.from, (raw) => {
      const name = nameOf(rule.from, raw)
      let messages
      try {
        messages = mapIngest(rule, raw)
      } catch (error) {
        return log('ingest mapping of', rule.from, 'threw:', (error as Error).message)
      }
      if (messages.length === 0) return log('ignored a message on', rule.from, 'that maps to no push')
      for (const message of messages) {
        let data: string
        try {
          data = publicationData(message)
        } catch (error) {
          log('ignored a push from', rule.from, (error as Error).message)
          continue
        }
        const { streams, everyone } = targetsOf(message)
        // A broadcast has no history: each node hands it to its own sockets.
        if (everyone) listener.broadcast(data)
        for (const stream of streams) {
          publish(stream, data, name).catch((error) => log('ingest publish failed:', (error as Error).message))
        }
      }
    })
  }

  const local = new Map<string, number>()
  const userKey = (user: string) => `${prefix}:online:${user}`
  const refresh = setInterval(
    () => {
      for (const [user, count] of local) void writePresence(user, count).catch((error) => log('presence refresh failed:', error.message))
    },
    (presenceTtl * 1000) / 3,
  )
  refresh.unref()

  async function writePresence(user: string, count: number) {
    const multi = commands.multi()
    if (count > 0) {
      multi.sAdd(userKey(user), nodeId).expire(userKey(user), presenceTtl).set(`${userKey(user)}:${nodeId}`, String(count), { EX: presenceTtl })
    } else {
      multi.sRem(userKey(user), nodeId).del(`${userKey(user)}:${nodeId}`)
    }
    await multi.exec()
  }

  return {
    nodeId,
    publish,
    async broadcast(data) {
      await commands.publish(live, `*\n\n0\n${data}`)
    },
    async recover(stream, since) {
      const reply = (await run(scripts.recover, [streamKey(stream), metaKey(stream)], [newEpoch(), String(history.ttl), since ? String(since.offset) : ''])) as Reply[]
      const position: Position = { epoch: String(reply[0]), offset: Number(reply[1]) }
      const none = { position, publications: [], recovered: false }
      if (!since || since.epoch !== position.epoch || since.offset > position.offset) return none
      const entries = (reply[2] as Array<[string, string[]]> | undefined) ?? []
      const publications = entries.map(([id, fields]) => ({ stream, epoch: position.epoch, offset: Number(id.split('-')[0]), data: fields[1] }))
      // Trimmed or expired entries leave a gap: the client must reload instead.
      const complete = publications.length === position.offset - since.offset && (publications.length === 0 || publications[0].offset === since.offset + 1)
      return complete ? { position, publications, recovered: true } : none
    },
    async setPresence(user, count) {
      if (count > 0) local.set(user, count)
      else local.delete(user)
      await writePresence(user, count)
    },
    async online(user) {
      const nodes = await commands.sMembers(userKey(user))
      if (nodes.length === 0) return 0
      const counts = await commands.mGet(nodes.map((node) => `${userKey(user)}:${node}`))
      const gone = nodes.filter((_, i) => counts[i] === null)
      if (gone.length) await commands.sRem(userKey(user), gone)
      return counts.reduce((sum, count) => sum + Number(count || 0), 0)
    },
    async close() {
      clearInterval(refresh)
      // Tell the other nodes this one's sockets are gone, unless Redis cannot hear it within a second
      // (the presence keys expire by themselves then).
      const cleared = Promise.allSettled([...local.keys()].map((user) => writePresence(user, 0)))
      await Promise.race([cleared, new Promise((resolve) => setTimeout(resolve, 1000).unref())])
      subscriber.destroy()
      commands.destroy()
    },
  }
}

/** How long an ingest claim is remembered, in ms: far longer than nodes hear the same message apart. */
const CLAIM_WINDOW = 30_000
