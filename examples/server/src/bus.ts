import { randomUUID } from 'node:crypto'
import { createClient } from 'redis'

/** A push as the backend sends it: to one user, several, or `*` (everyone logged in). */
export interface PushMessage {
  event: string
  msg: unknown
  to: string[]
}

/**
 * Carries pushes to the sockets of every node, and counts who is online. In memory for one
 * process; through Redis pub/sub and keys with a TTL for several.
 */
export interface Bus {
  readonly nodeId: string
  /**
   * Delivers `message` on every node (this one included); resolves with how many sockets are meant
   * to get it, or `undefined` when that is not known (a broadcast through Redis).
   */
  publish(message: PushMessage): Promise<number | undefined>
  /** This node now has `count` logged-in sockets of `user` (0: none). */
  setPresence(user: string, count: number): Promise<void>
  /** Sockets of `user` online across all nodes. */
  online(user: string): Promise<number>
  close(): Promise<void>
}

type Deliver = (message: PushMessage) => number

/** One process: pushes go straight to the local sockets. */
export function memoryBus(deliver: Deliver, countLocal: (user: string) => number): Bus {
  return {
    nodeId: 'local',
    publish: async (message) => deliver(message),
    setPresence: async () => {},
    online: async (user) => countLocal(user),
    close: async () => {},
  }
}

export interface RedisBusOptions {
  url: string
  /** The pub/sub channel; any backend may PUBLISH `{"event","msg","to"}` JSON to it. @default 'mp-socket:push' */
  channel?: string
  /** Presence keys live this long unless refreshed, in seconds. @default 90 */
  presenceTtl?: number
  log?: (...args: unknown[]) => void
}

/**
 * Several nodes: a push published by any node (or by any program with `PUBLISH mp-socket:push`)
 * reaches the user's sockets on every node. Presence: `<channel>:online:<user>` is a set of node
 * ids, and `<channel>:online:<user>:<node>` that node's socket count, both with a TTL that the
 * node refreshes while it has sockets, so a node that dies stops counting within the TTL.
 */
export async function redisBus(options: RedisBusOptions, deliver: Deliver): Promise<Bus> {
  const channel = options.channel || 'mp-socket:push'
  const ttl = options.presenceTtl || 90
  const log = options.log || (() => {})
  const nodeId = randomUUID()
  const commands = createClient({ url: options.url })
  const subscriber = commands.duplicate()
  for (const client of [commands, subscriber]) client.on('error', (error: Error) => log('redis error:', error.message))
  await Promise.all([commands.connect(), subscriber.connect()])
  await subscriber.subscribe(channel, (raw) => {
    const message = parsePush(raw)
    if (message) deliver(message)
    else log('ignored a malformed message on', channel)
  })
  const local = new Map<string, number>()
  const userKey = (user: string) => `${channel}:online:${user}`
  const refresh = setInterval(() => {
    for (const [user, count] of local) void writePresence(user, count).catch((error) => log('presence refresh failed:', error.message))
  }, (ttl * 1000) / 3)
  refresh.unref()

  async function writePresence(user: string, count: number) {
    const multi = commands.multi()
    if (count > 0) {
      multi.sAdd(userKey(user), nodeId).expire(userKey(user), ttl).set(`${userKey(user)}:${nodeId}`, String(count), { EX: ttl })
    } else {
      multi.sRem(userKey(user), nodeId).del(`${userKey(user)}:${nodeId}`)
    }
    await multi.exec()
  }

  async function online(user: string) {
    const nodes = await commands.sMembers(userKey(user))
    if (nodes.length === 0) return 0
    const counts = await commands.mGet(nodes.map((node) => `${userKey(user)}:${node}`))
    const gone = nodes.filter((_, i) => counts[i] === null)
    if (gone.length) await commands.sRem(userKey(user), gone)
    return counts.reduce((sum, count) => sum + Number(count || 0), 0)
  }

  return {
    nodeId,
    async publish(message) {
      await commands.publish(channel, JSON.stringify(message))
      if (message.to.includes('*')) return undefined
      let total = 0
      for (const user of new Set(message.to)) total += await online(user)
      return total
    },
    async setPresence(user, count) {
      if (count > 0) local.set(user, count)
      else local.delete(user)
      await writePresence(user, count)
    },
    online,
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

/**
 * Reads a push from JSON or from a parsed form: `event` a string, `to` a user, a comma list or an
 * array, `msg` anything (a string holding JSON is decoded, as the seed's PHP backend sends it).
 */
export function parsePush(input: unknown): PushMessage | undefined {
  let value = input
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      return undefined
    }
  }
  if (!value || typeof value !== 'object') return undefined
  const { event, msg, to } = value as Record<string, unknown>
  if (typeof event !== 'string' || !event) return undefined
  const targets = (Array.isArray(to) ? to : typeof to === 'string' ? to.split(',') : [])
    .filter((user): user is string => typeof user === 'string')
    .map((user) => user.trim())
    .filter(Boolean)
  if (targets.length === 0) return undefined
  let body = msg
  if (typeof body === 'string') {
    try {
      const decoded = JSON.parse(body)
      if (decoded && typeof decoded === 'object') body = decoded
    } catch {
      // a plain string message
    }
  }
  return { event, msg: body, to: targets }
}
