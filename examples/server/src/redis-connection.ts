import { createClient, createCluster } from 'redis'

/** Where the engine's Redis is: one server (`redis://host:port`), or some nodes of a Redis Cluster (the others are discovered). */
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

type Listener = (message: string, channel: string) => void

export interface RedisSubscriber {
  /** A classic channel (what backends PUBLISH on). */
  subscribe(channel: string, listener: Listener): Promise<void>
  /** A sharded channel, followed on the master of its slot. */
  sSubscribe(channel: string, listener: Listener): Promise<void>
}

export interface RedisConnection {
  commands: RedisClient
  /**
   * Pub/sub. On a cluster, classic channels are followed on one node (a classic PUBLISH reaches
   * every node), sharded ones on the master of their slot, and followed to the new master when
   * their slot moves.
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
  const subscriber = clusterSubscriber(cluster, log)
  const stopWatching = rediscoverWhileUnreachable(cluster, subscriber.followAgain, log)
  return {
    commands,
    subscriber,
    destroy() {
      stopWatching()
      cluster.destroy()
    },
  }
}

/** How often the slots are asked for again while a master is unreachable, in ms. */
const REDISCOVER_INTERVAL = 1000

/**
 * node-redis 5 learns new slots only from a MOVED or ASK reply. A master that dies answers none, so
 * once a replica has taken its slots over (`cluster-node-timeout`, 15 s by default), commands for
 * them still wait on the dead address, and its sharded subscriptions with them. So while a master
 * is unreachable, this asks the cluster for its slots again every second, until that address is no
 * longer a master; then it subscribes again whatever the dead master's connection had.
 */
function rediscoverWhileUnreachable(cluster: ReturnType<typeof createCluster>, followAgain: () => void, log: (...args: unknown[]) => void) {
  const unreachable = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  const isMaster = (address: string) => cluster.masters.some((master) => `${master.host}:${master.port}` === address)

  async function rediscover() {
    const live = cluster.masters.find((master) => master.client?.isReady && !unreachable.has(`${master.host}:${master.port}`))?.client
    if (live) await cluster._slots.rediscover(live)
    for (const address of unreachable) if (!isMaster(address)) unreachable.delete(address)
    followAgain()
    if (unreachable.size === 0) {
      clearInterval(timer)
      timer = undefined
    }
  }

  cluster.on('node-reconnecting', (node: { host: string; port: number }) => {
    const address = `${node.host}:${node.port}`
    if (!isMaster(address)) return
    unreachable.add(address)
    timer ??= setInterval(() => rediscover().catch((error) => log('redis: cannot read the cluster slots:', error.message)), REDISCOVER_INTERVAL).unref()
  })
  return () => clearInterval(timer)
}

/**
 * When a slot moves (failover, resharding), its old master SUNSUBSCRIBEs the clients of its sharded
 * channels. node-redis 5 then drops the listeners without subscribing them again on the new master:
 * its node client emits `sharded-channel-moved` while its cluster listens for `server-sunsubscribe`
 * (redis/node-redis#3311, fixed in @redis/client 6.0.1); and a rediscovery closes the pub/sub
 * connection of a master that is one no longer, with whatever listeners it still had. So on that
 * event this makes node-redis learn the new slots (a command on the channel's slot meets MOVED),
 * then subscribes again every channel that no master's connection follows.
 */
function clusterSubscriber(cluster: ReturnType<typeof createCluster>, log: (...args: unknown[]) => void): RedisSubscriber & { followAgain(): void } {
  const sharded = new Map<string, Listener[]>()
  const watched = new WeakSet<object>()
  const followed = (channel: string) => cluster.masters.some((master) => master.pubSub?.client.getPubSubListeners('SHARDED').has(channel))
  let again: { probe?: string } | undefined
  let following = false

  async function follow(channel: string, listener: Listener) {
    await cluster.sSubscribe(channel, listener)
    for (const master of cluster.masters) {
      const client = master.pubSub?.client
      if (!client || watched.has(client)) continue
      watched.add(client)
      client.on('sharded-channel-moved', (channel: string) => {
        refollow(channel).catch((error) => log('redis: cannot follow sharded channels to their new master:', error.message))
      })
    }
  }

  // One run at a time; a call during a run makes it go round once more.
  async function refollow(probe?: string) {
    again = { probe: probe ?? again?.probe }
    if (following) return
    following = true
    try {
      while (again) {
        const { probe } = again
        again = undefined
        // A command on the moved channel's slot meets MOVED, which makes node-redis learn the new slots.
        if (probe) await cluster.exists(probe)
        for (const [name, listeners] of sharded) if (!followed(name)) for (const listener of listeners) await follow(name, listener)
      }
    } finally {
      following = false
    }
  }

  return {
    subscribe: (channel, listener) => cluster.subscribe(channel, listener),
    async sSubscribe(channel, listener) {
      sharded.set(channel, [...(sharded.get(channel) ?? []), listener])
      await follow(channel, listener)
    },
    /** Subscribes again every channel that no master's connection follows now. */
    followAgain() {
      refollow().catch((error) => log('redis: cannot follow sharded channels to their new master:', error.message))
    },
  }
}

function firstKey(args: string[]) {
  const command = args[0].toUpperCase()
  return command === 'EVALSHA' || command === 'EVAL' ? args[3] : args[1]
}
