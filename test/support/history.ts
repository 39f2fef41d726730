import type { createClient } from 'redis'
import { redisKeys } from '../../examples/server/src/redis-keys'

type Redis = ReturnType<typeof createClient>

/** A stream's history as the Redis engine keeps it (redis-scripts.ts): its position and stored entries. */
export interface StoredHistory {
  type: 'string' | 'list'
  epoch: string
  offset: number
  entries: string[]
}

/**
 * Reads the history key of `stream` (`u:<user>` or `c:<channel>`; redis-keys.ts) the way the engine's scripts
 * write it: a string `<epoch>:<offset>` while nothing is stored, else a list of the entries' data
 * and that meta last. Undefined when there is no such key.
 */
export async function storedHistory(redis: Redis, stream: string): Promise<StoredHistory | undefined> {
  const key = redisKeys('mp-socket').history(stream)
  const type = await redis.type(key)
  if (type === 'none') return undefined
  if (type !== 'string' && type !== 'list') throw new Error(`${key} is a ${type}`)
  const values = type === 'string' ? [String(await redis.get(key))] : await redis.lRange(key, 0, -1)
  const [, epoch, offset] = /^(\d+):(\d+)$/.exec(values[values.length - 1]) ?? []
  if (!epoch) throw new Error(`${key} ends with ${values[values.length - 1]}, not <epoch>:<offset>`)
  return { type, epoch, offset: Number(offset), entries: values.slice(0, -1) }
}
