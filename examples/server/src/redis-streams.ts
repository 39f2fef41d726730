import type { EngineListener, HistoryOptions, HistoryPage, HistoryQuery } from './engine'
import type { RedisClient } from './redis-connection'
import type { RedisKeys } from './redis-keys'
import { newRedisEpoch, type Reply, type RunScript } from './redis-scripts'
import type { Position, Publication, Recovery } from './streams'

export interface RedisStreamsOptions {
  keys: RedisKeys
  history: HistoryOptions
  /** How long a publication's claim is remembered, in ms. */
  claimWindow: number
}

/**
 * History and live delivery through Redis: a Redis Stream per user or channel (trimmed with
 * `MAXLEN ~`, expiring with a TTL) and the sharded channel of its bucket, which every node hears.
 */
export function redisStreams(commands: RedisClient, run: RunScript, options: RedisStreamsOptions) {
  const { keys: key, history } = options
  const streamKey = key.stream
  const metaKey = key.meta

  async function publish(stream: string, data: string, claim?: string): Promise<Publication | undefined> {
    const keys = [streamKey(stream), metaKey(stream)]
    if (claim) keys.push(key.claim(claim, stream))
    const reply = await run('publish', keys, [newRedisEpoch(), String(history.ttl), data, String(history.size), key.live(stream), stream, String(options.claimWindow)])
    if (!Array.isArray(reply)) return undefined
    return { stream, epoch: String(reply[0]), offset: Number(reply[1]), data }
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
    const reply = (await run('position', [streamKey(stream), metaKey(stream)], [newRedisEpoch(), String(history.ttl)])) as Reply[]
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

  // Every node follows every bucket: a broadcast goes on the bucket of its `*`.
  async function broadcast(data: string) {
    await commands.sPublish(key.live('*'), `*\n\n0\n${data}`)
  }

  /** The stream's last entries before `query.before` (all of them in its epoch: ids are `<offset>-<epoch>`). */
  async function lastEntries(stream: string, query: HistoryQuery): Promise<HistoryPage> {
    const top = await position(stream)
    const { limit, before } = query
    if (before && (before.epoch !== top.epoch || before.offset <= 1)) return { position: top, publications: [] }
    const end = before ? `(${before.offset}-0` : '+'
    const entries = (await commands.sendCommand(['XREVRANGE', streamKey(stream), end, '-', 'COUNT', String(limit)])) as Array<[string, string[]]>
    const publications: Publication[] = []
    for (const [id, fields] of entries.reverse()) {
      const [offset, epoch] = id.split('-')
      if (epoch === top.epoch && Number(offset) <= top.offset) publications.push({ stream, epoch, offset: Number(offset), data: fields[1] })
    }
    return { position: top, publications }
  }

  /**
   * A join or leave push on the live channel: `!<channel>` and no position, so never stored; on the
   * channel's bucket, so it keeps its order among the channel's publications.
   */
  async function signal(channel: string, frame: string) {
    await commands.sPublish(key.live(`c:${channel}`), `!${channel}\n\n0\n${frame}`)
  }

  return { publish, recover, broadcast, history: lastEntries, signal }
}

/** Hands a message of the live channel to this node's listener; false when it is malformed. */
export function hearLive(raw: string, listener: EngineListener): boolean {
  // `<stream>\n<epoch>\n<offset>\n<data>`; a broadcast has `*` and no position, a presence push
  // `!<channel>` (streams are `u:…` or `c:…`).
  const a = raw.indexOf('\n')
  const b = raw.indexOf('\n', a + 1)
  const c = raw.indexOf('\n', b + 1)
  if (a < 0 || b < 0 || c < 0) return false
  const stream = raw.slice(0, a)
  const data = raw.slice(c + 1)
  if (stream === '*') listener.broadcast(data)
  else if (stream.startsWith('!')) listener.signal(stream.slice(1), data)
  else listener.publication({ stream, epoch: raw.slice(a + 1, b), offset: Number(raw.slice(b + 1, c)), data })
  return true
}
