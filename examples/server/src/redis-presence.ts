import type { RedisClient } from './redis-connection'
import type { RedisKeys } from './redis-keys'
import { everySlice, sliceOf } from './slices'

/** Each user's entry is refreshed once per third of the TTL, in one of this many slices of it. */
const REFRESH_SLICES = 10

/**
 * Presence: `<prefix>:online:<user>` is a hash of node id → `<count>:<expires at, ms>`, that node's
 * sockets of the user until it refreshes the entry (every third of the TTL, spread over slices so
 * that a node with many users does not send all their refreshes to Redis at once). A node that
 * crashed stops counting when its entries pass their time; readers delete them then.
 */
export function redisPresence(commands: RedisClient, options: { keys: RedisKeys; nodeId: string; ttl: number; log: (...args: unknown[]) => void }) {
  const { keys, nodeId, ttl, log } = options
  const local = new Map<string, number>()
  const userKey = keys.online

  const stopRefresh = everySlice(
    (ttl * 1000) / 3,
    REFRESH_SLICES,
    (slice) => {
      for (const [user, count] of local) {
        if (sliceOf(user, REFRESH_SLICES) !== slice) continue
        write(user, count).catch((error) => log('presence refresh failed:', error.message))
      }
    },
    { unref: true },
  )

  async function write(user: string, count: number) {
    if (count === 0) return void (await commands.hDel(userKey(user), nodeId))
    const entry = `${count}:${Date.now() + ttl * 1000}`
    await Promise.all([commands.hSet(userKey(user), nodeId, entry), commands.expire(userKey(user), ttl)])
  }

  return {
    async set(user: string, count: number) {
      if (count > 0) local.set(user, count)
      else local.delete(user)
      await write(user, count)
    },
    async online(user: string) {
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
    /**
     * Stops refreshing and tells the other nodes this one's sockets are gone, unless Redis cannot
     * hear it within a second (the presence keys expire by themselves then).
     */
    async close() {
      stopRefresh()
      const cleared = Promise.allSettled([...local.keys()].map((user) => write(user, 0)))
      await Promise.race([cleared, new Promise((resolve) => setTimeout(resolve, 1000).unref())])
    },
  }
}
