import type { EngineListener, HistoryOptions, HistoryPage, HistoryQuery } from './engine'
import type { RedisClient } from './redis-connection'
import type { RedisKeys } from './redis-keys'
import { newRedisEpoch, type RunScript } from './redis-scripts'
import type { Position, Publication, Recovery } from './streams'

export interface RedisStreamsOptions {
  keys: RedisKeys
  history: HistoryOptions
  /** How long a publication's claim is remembered, in ms. */
  claimWindow: number
}

/**
 * History and live delivery through Redis: a list per user or channel (its entries and its
 * position, trimmed to `history.size`, expiring with a TTL: redis-scripts.ts) and the sharded
 * channel of its bucket, which every node hears.
 */
export function redisStreams(commands: RedisClient, run: RunScript, options: RedisStreamsOptions) {
  const { keys: key, history } = options
  const streamKey = key.history
  const epochArgs = () => [newRedisEpoch(), String(history.ttl)]

  async function publish(stream: string, data: string, claim?: string): Promise<Publication | undefined> {
    const keys = [streamKey(stream)]
    if (claim) keys.push(key.claim(claim, stream))
    const reply = await run('publish', keys, [...epochArgs(), data, String(history.size), key.live(stream), stream, String(options.claimWindow)])
    if (!Array.isArray(reply)) return undefined
    return { stream, epoch: String(reply[0]), offset: Number(reply[1]), data }
  }

  /** Entries read from a stream's list, the first of them at offset `first`. */
  const entriesOf = (stream: string, epoch: string, first: number, entries: string[]): Publication[] => entries.map((data, i) => ({ stream, epoch, offset: first + i, data }))

  /** One script, one round trip, whether the client missed something or not. */
  async function recover(stream: string, since: Position | undefined): Promise<Recovery> {
    const reply = (await run('recover', [streamKey(stream)], [...epochArgs(), since?.epoch ?? '', String(since?.offset ?? 0)])) as [string, number, number, string[]]
    const position = { epoch: String(reply[0]), offset: Number(reply[1]) }
    const entries = reply[3]
    return { position, publications: entriesOf(stream, position.epoch, position.offset - entries.length + 1, entries), recovered: reply[2] === 1 }
  }

  // Every node follows every bucket: a broadcast goes on the bucket of its `*`.
  async function broadcast(data: string) {
    await commands.sPublish(key.live('*'), `*\n\n0\n${data}`)
  }

  /** The stream's last entries before `query.before`, in one script. */
  async function lastEntries(stream: string, query: HistoryQuery): Promise<HistoryPage> {
    const { limit, before } = query
    const reply = (await run('page', [streamKey(stream)], [...epochArgs(), String(limit), before?.epoch ?? '', String(before?.offset ?? 0)])) as [string, number, number, string[]]
    const position = { epoch: String(reply[0]), offset: Number(reply[1]) }
    return { position, publications: entriesOf(stream, position.epoch, Number(reply[2]), reply[3]) }
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
