import { randomInt, randomUUID } from 'node:crypto'
import { createClient } from 'redis'
import type { Engine, EngineListener, HistoryOptions } from './engine'
import { ingestNamer, mapIngest, type IngestRule } from './ingest'
import { publicationData, targetsOf } from './push'
import type { Position, Publication, Recovery } from './streams'

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

// A stream's epoch is a number (`newRedisEpoch`): each entry's id is `<offset>-<epoch>`, so an entry
// read from a stream tells by itself which epoch it belongs to. A recovery can then read the entries
// after a client's offset with one XRANGE and no script: what it finds is the client's history only
// if every entry carries the client's epoch and they start right after its offset.
//
// Entries belong to the epoch of the meta hash. The two keys can part (maxmemory eviction picks keys
// one by one, or someone deletes one): when the meta hash is gone (or holds an epoch of an older
// format) and a new epoch is started, the entries left in the stream key are of the lost epoch and
// are dropped with it, so XADD of the new epoch's first id is never refused as lower than theirs.
const EPOCH_OR_START = `
local epoch = redis.call('hget', KEYS[2], 'e')
local started = false
if not epoch or not string.match(epoch, '^%d+$') then
  epoch = ARGV[1]
  started = true
  redis.call('del', KEYS[1])
  redis.call('hset', KEYS[2], 'e', epoch, 'o', 0)
  redis.call('expire', KEYS[2], ARGV[2])
end`

// Appends to a stream and announces it in one step, so that history and live delivery cannot
// disagree: the offset comes from the stream's meta hash, and both keys expire `ttl` seconds after
// the last publication. With a third key, the publication happens only if that claim is new
// (ingest: once whatever the nodes). The first publication of an epoch it starts itself is not
// stored: replaying offset 1 needs a client at offset 0 of that epoch, and nobody was told that
// position (a login or subscribe that starts an epoch tells `0`, and then publications are stored).
// This spares a stream (about 4 KB in Redis 7) per user who gets a push while nobody follows them.
// ARGV: epoch if none, ttl, data, history size, live channel, stream name, claim window (ms).
const PUBLISH = `
if #KEYS == 3 and not redis.call('set', KEYS[3], '1', 'NX', 'PX', ARGV[7]) then return false end
${EPOCH_OR_START}
local offset = redis.call('hincrby', KEYS[2], 'o', 1)
if not started then
  redis.call('xadd', KEYS[1], 'MAXLEN', '~', ARGV[4], offset .. '-' .. epoch, 'd', ARGV[3])
  redis.call('expire', KEYS[1], ARGV[2])
  redis.call('expire', KEYS[2], ARGV[2])
end
redis.call('publish', ARGV[5], ARGV[6] .. '\\n' .. epoch .. '\\n' .. offset .. '\\n' .. ARGV[3])
return {epoch, offset}
`

// The stream's epoch and top offset, starting an epoch if it has none (new stream, or its history
// was lost: Redis flushed, the meta hash evicted). ARGV: epoch if none, ttl.
const POSITION = `
${EPOCH_OR_START}
return {epoch, redis.call('hget', KEYS[2], 'o')}
`

/** A new epoch for a Redis stream: a number, as it is also the sequence part of its entries' ids. */
export const newRedisEpoch = () => String(randomInt(1, 2 ** 48))

type Reply = string | number | null | Reply[]

/**
 * Several nodes: every publication goes through Redis (history in a Redis Stream per user or
 * channel, trimmed with `MAXLEN ~` and expiring with a TTL; live delivery over one pub/sub channel
 * that every node hears), so a client recovers on whichever node it reconnects to; presence below.
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
  const scripts = { publish: { source: PUBLISH, sha: '' }, position: { source: POSITION, sha: '' } }
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
    const reply = await run(scripts.publish, keys, [newRedisEpoch(), String(history.ttl), data, String(history.size), live, stream, String(CLAIM_WINDOW)])
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

  // MAXLEN ~ trims whole stream nodes (stream-node-max-entries, 100 by default), so a stream holds
  // somewhat more than `history.size` entries; a client that missed more than this is told to reload.
  const readLimit = history.size + 1000

  /** The entries after `since` in its epoch, if the stream still holds them from `since.offset + 1` on. */
  async function entriesAfter(stream: string, since: Position): Promise<Publication[] | undefined> {
    const entries = (await commands.sendCommand(['XRANGE', streamKey(stream), `${since.offset + 1}-0`, '+', 'COUNT', String(readLimit)])) as Array<[string, string[]]>
    if (entries.length === 0 || entries.length === readLimit) return undefined
    const publications: Publication[] = []
    for (const [id, fields] of entries) {
      const [offset, epoch] = id.split('-')
      // Another epoch's entries (the stream was lost and started again), or a gap (trimmed).
      if (epoch !== since.epoch || Number(offset) !== since.offset + 1 + publications.length) return undefined
      publications.push({ stream, epoch, offset: Number(offset), data: fields[1] })
    }
    return publications
  }

  async function position(stream: string): Promise<Position> {
    const reply = (await run(scripts.position, [streamKey(stream), metaKey(stream)], [newRedisEpoch(), String(history.ttl)])) as Reply[]
    return { epoch: String(reply[0]), offset: Number(reply[1]) }
  }

  // The common case costs one command: a client that missed something reads it, and the last entry
  // is its new position. Otherwise (nothing missed, a new client, history lost or trimmed) the
  // position is read too; entries published between the two reads are read again once.
  async function recover(stream: string, since: Position | undefined): Promise<Recovery> {
    for (let attempt = 0; ; attempt++) {
      const publications = since && (await entriesAfter(stream, since))
      if (publications) {
        const { epoch, offset } = publications[publications.length - 1]
        return { position: { epoch, offset }, publications, recovered: true }
      }
      const top = await position(stream)
      const missed = since && since.epoch === top.epoch ? top.offset - since.offset : -1
      if (missed === 0) return { position: top, publications: [], recovered: true }
      if (missed < 0 || attempt === 1) return { position: top, publications: [], recovered: false }
    }
  }

  // Presence: `<prefix>:online:<user>` is a hash of node id → `<count>:<expires at, ms>`, that node's
  // sockets of the user until it refreshes the entry (every third of the TTL). A node that crashed
  // stops counting when its entries pass their time; readers delete them then.
  const local = new Map<string, number>()
  const userKey = (user: string) => `${prefix}:online:${user}`
  // Each user's entry is refreshed once per third of the TTL, in one of REFRESH_SLICES slices of it,
  // so that a node with many users does not send all their refreshes to Redis at once.
  let slice = 0
  const refresh = setInterval(
    () => {
      slice = (slice + 1) % REFRESH_SLICES
      for (const [user, count] of local) {
        if (sliceOf(user) !== slice) continue
        writePresence(user, count).catch((error) => log('presence refresh failed:', error.message))
      }
    },
    (presenceTtl * 1000) / 3 / REFRESH_SLICES,
  )
  refresh.unref()

  async function writePresence(user: string, count: number) {
    if (count === 0) return void (await commands.hDel(userKey(user), nodeId))
    const entry = `${count}:${Date.now() + presenceTtl * 1000}`
    await Promise.all([commands.hSet(userKey(user), nodeId, entry), commands.expire(userKey(user), presenceTtl)])
  }

  return {
    nodeId,
    publish,
    async broadcast(data) {
      await commands.publish(live, `*\n\n0\n${data}`)
    },
    recover,
    async setPresence(user, count) {
      if (count > 0) local.set(user, count)
      else local.delete(user)
      await writePresence(user, count)
    },
    async online(user) {
      const entries = Object.entries(await commands.hGetAll(userKey(user)))
      const now = Date.now()
      let total = 0
      const gone: string[] = []
      for (const [node, entry] of entries) {
        const [count, expires] = entry.split(':').map(Number)
        if (expires > now) total += count
        else gone.push(node)
      }
      if (gone.length) await commands.hDel(userKey(user), gone)
      return total
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

const REFRESH_SLICES = 10

/** A user's refresh slice: the same on every call, spread evenly enough over user names. */
function sliceOf(user: string) {
  let hash = 0
  for (let i = 0; i < user.length; i++) hash = (hash * 31 + user.charCodeAt(i)) | 0
  return Math.abs(hash) % REFRESH_SLICES
}

/** How long an ingest claim is remembered, in ms: far longer than nodes hear the same message apart. */
const CLAIM_WINDOW = 30_000
