import { createClient, createCluster } from 'redis'

/** Where the engine's Redis is: one server (`redis://host:port`), or seed nodes of a Redis Cluster. */
export type RedisTarget = { url: string } | { cluster: string[] }

type Client = ReturnType<typeof createClient>

/**
 * The commands the engine sends, the same on one Redis and on a cluster (where node-redis sends each
 * to the master of its key's slot, and follows MOVED and ASK when a slot moves).
 */
export type RedisClient = Pick<Client, 'get' | 'set' | 'del' | 'hGet' | 'hGetAll' | 'hSet' | 'hDel' | 'expire' | 'sPublish'> & {
  /** A raw command; on a cluster it goes to the node of its first key (for EVAL and EVALSHA, of KEYS[1]). */
  sendCommand(args: string[]): Promise<unknown>
  /** Connected (on a cluster: to every master), so a command is not merely queued. */
  readonly isReady: boolean
}

export type RedisSubscriber = Pick<Client, 'subscribe' | 'sSubscribe'>

export interface RedisConnection {
  commands: RedisClient
  /**
   * Pub/sub. On a cluster, classic channels are followed on one node (a classic PUBLISH reaches
   * every node), sharded ones on the master of their slot, and node-redis moves a sharded
   * subscription when its slot moves.
   */
  subscriber: RedisSubscriber
  /** Drops the connections at once: with Redis gone, a graceful close would wait for a reconnect that may never come. */
  destroy(): void
}

/** Connects to `target`: two connections to one Redis (commands, pub/sub), or a cluster client. */
export async function connectRedis(target: RedisTarget, log: (...args: unknown[]) => void): Promise<RedisConnection> {
  const logError = (error: Error) => log('redis error:', error.message)
  if ('url' in target) {
    const commands = createClient({ url: target.url })
    const subscriber = commands.duplicate()
    for (const client of [commands, subscriber]) client.on('error', logError)
    await Promise.all([commands.connect(), subscriber.connect()])
    return {
      commands,
      subscriber,
      destroy() {
        subscriber.destroy()
        commands.destroy()
      },
    }
  }
  const cluster = createCluster({ rootNodes: target.cluster.map((url) => ({ url })) })
  cluster.on('error', logError).on('node-error', logError)
  await cluster.connect()
  // node-redis makes its own per-command proxies of a cluster client this way (withCommandOptions).
  const commands: RedisClient = Object.create(cluster, {
    sendCommand: { value: (args: string[]) => cluster.sendCommand(firstKey(args), false, args) },
    isReady: { get: () => cluster.masters.every((master) => master.client?.isReady) },
  }) as typeof cluster & Pick<RedisClient, 'sendCommand' | 'isReady'>
  return { commands, subscriber: cluster, destroy: () => cluster.destroy() }
}

function firstKey(args: string[]) {
  const command = args[0].toUpperCase()
  return command === 'EVALSHA' || command === 'EVAL' ? args[3] : args[1]
}
