import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { redisKeys } from '../../examples/server/src/redis-keys'
import { eventually, startRedis, startServerProcess, type ServerProcess } from './processes'

/**
 * Three reference server processes sharing one redis-server, started once for a file: the shape
 * of socket.io's redis-streams-adapter recovery test. `each` holds cleanups run after every test.
 */
export function useCluster(env: Record<string, string> = {}) {
  const cleanups: Array<() => unknown> = []
  const each: Array<() => unknown> = []
  const cluster = {
    redis: undefined as unknown as Awaited<ReturnType<typeof startRedis>>,
    publisher: undefined as unknown as ReturnType<typeof createClient>,
    nodes: [] as ServerProcess[],
    /** The environment the nodes run with, for starting one more like them. */
    env: {} as Record<string, string>,
    each,
    /** The stream's current offset, read from Redis (`u:<user>` or `c:<channel>`). */
    offsetOf: async (stream: string) => Number((await cluster.publisher.hGet(redisKeys('mp-socket').meta(stream), 'o')) ?? 0),
    /** Message n to `user` and to `channel`, through node B, node C or raw Redis in turn, in order. */
    async publish(n: number, user: string, channel: string) {
      for (const target of [{ to: user }, { channel }]) {
        const stream = 'to' in target ? `u:${user}` : `c:${channel}`
        const before = await cluster.offsetOf(stream)
        const message = { event: 'e', msg: String(n), ...target }
        if (n % 3 === 0) await cluster.publisher.publish('mp-socket:push', JSON.stringify(message))
        else await cluster.nodes[n % 3].push(message)
        // Raw publishes are stored by whichever node claims them: wait for it, so that the order holds.
        await eventually(async () => expect(await cluster.offsetOf(stream)).toBe(before + 1))
      }
    },
  }

  beforeAll(async () => {
    cluster.redis = await startRedis()
    cleanups.push(() => cluster.redis.stop())
    cluster.env = { REDIS_URL: cluster.redis.url, CHANNELS: '*', RATE_LIMIT: '0', HISTORY_SIZE: '1000', ...env }
    cluster.nodes = await Promise.all([0, 1, 2].map(() => startServerProcess(cluster.env)))
    for (const node of cluster.nodes) cleanups.push(() => node.kill())
    cluster.publisher = createClient({ url: cluster.redis.url })
    cluster.publisher.on('error', () => {})
    await cluster.publisher.connect()
    cleanups.push(() => cluster.publisher.destroy())
  })
  afterEach(async () => {
    for (const cleanup of each.splice(0).reverse()) await cleanup()
  })
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })
  return cluster
}

/** `['from', ..., 'to']` as strings. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i))
