import type { Members, PresenceChange } from './engine'
import { listed, presenceFrame } from './presence'
import type { RedisClient } from './redis-connection'
import type { RedisKeys } from './redis-keys'
import type { RunScript } from './redis-scripts'
import { everySlice, sliceOf } from './slices'

/** Channels are refreshed once per third of the TTL, in one of this many slices of it. */
const REFRESH_SLICES = 10

export interface RedisMembersOptions {
  keys: RedisKeys
  nodeId: string
  /** Seconds an entry counts without a refresh. */
  ttl: number
  /** Hands a join or leave push to every node's watchers. */
  signal(channel: string, frame: string): Promise<void>
  log: (...args: unknown[]) => void
}

/**
 * Channel presence across nodes (the scripts' comment in redis-scripts.ts says the layout): each
 * node keeps an entry per user it has in a channel and refreshes it, so a crashed node's users stop
 * counting within the TTL; the node that finds them gone in a refresh pushes their leave.
 */
export function redisMembers(commands: RedisClient, run: RunScript, options: RedisMembersOptions): Members {
  const { keys, nodeId, ttl, signal, log } = options
  /** channel → user → member sockets on this node */
  const local = new Map<string, Map<string, number>>()
  /** Channels this node has watchers of. */
  const watched = new Set<string>()
  const key = keys.members
  const expiresAt = () => String(Date.now() + ttl * 1000)

  async function sweep(channel: string) {
    const entries = [...(local.get(channel) ?? [])].flatMap(([user, sockets]) => [user, String(sockets)])
    const left = (await run('sweep', [key(channel)], [nodeId, expiresAt(), String(Date.now()), String(ttl), ...entries])) as string[]
    if (left.length) await signal(channel, presenceFrame(channel, [], left))
  }

  async function count(channel: string, user: string, delta: number): Promise<PresenceChange> {
    const users = local.get(channel) ?? new Map<string, number>()
    const sockets = Math.max(0, (users.get(user) ?? 0) + delta)
    if (sockets > 0) users.set(user, sockets)
    else users.delete(user)
    if (users.size) local.set(channel, users)
    else local.delete(channel)
    const change = await run('member', [key(channel)], [user, nodeId, String(sockets), expiresAt(), String(Date.now()), String(ttl)])
    return change === 1 ? 'joined' : change === -1 ? 'left' : undefined
  }

  const stopRefresh = everySlice(
    (ttl * 1000) / 3,
    REFRESH_SLICES,
    (slice) => {
      for (const channel of new Set([...local.keys(), ...watched])) {
        if (sliceOf(channel, REFRESH_SLICES) !== slice) continue
        sweep(channel).catch((error) => log('presence refresh of', channel, 'failed:', error.message))
      }
    },
    { unref: true },
  )

  return {
    count,
    watch(channel, watching) {
      if (watching) watched.add(channel)
      else watched.delete(channel)
    },
    async read(channel, limit) {
      const now = Date.now()
      const users = Object.entries(await commands.hGetAll(key(channel)))
        .filter(([, value]) => value.split(',').some((entry) => Number(entry.slice(entry.indexOf('@') + 1)) > now))
        .map(([user]) => user)
      return { users: listed(users, limit), count: users.length }
    },
    /**
     * Stops refreshing and takes this node's users out of their channels (their leaves pushed),
     * unless Redis cannot hear it within a second (the entries expire by themselves then).
     */
    async close() {
      stopRefresh()
      const members = [...local].flatMap(([channel, users]) => [...users].map(([user, sockets]) => [channel, user, sockets] as const))
      const cleared = Promise.allSettled(
        members.map(async ([channel, user, sockets]) => {
          if ((await count(channel, user, -sockets)) === 'left') await signal(channel, presenceFrame(channel, [], [user]))
        }),
      )
      await Promise.race([cleared, new Promise((resolve) => setTimeout(resolve, 1000).unref())])
    },
  }
}
