import type { Channels } from './channels'
import type { Engine } from './engine'
import { toJson } from './frames'
import type { Sessions } from './sessions'
import { channelStream, userStream } from './streams'

/**
 * A push as the backend sends it: to one user, several, `*` (everyone logged in), and/or a channel.
 * `to` is empty when only a channel is addressed.
 */
export interface PushMessage {
  event: string
  msg: unknown
  to: string[]
  channel?: string
}

/**
 * What `push()` takes, on the server object and in a handler's context alike: `to` a user, a comma
 * list or an array, and/or `channel`.
 */
export interface PushInput {
  event: string
  msg?: unknown
  to?: string | string[]
  channel?: string
}

/**
 * Reads a push from JSON or from a parsed form: `event` a string, `to` a user, a comma list or an
 * array, `channel` a channel name, at least one of the two; `msg` anything (a string holding JSON
 * is decoded, as the seed's PHP backend sends it).
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
  const { event, msg, to, channel } = value as Record<string, unknown>
  if (typeof event !== 'string' || !event) return undefined
  const targets = (Array.isArray(to) ? to : typeof to === 'string' ? to.split(',') : [])
    .filter((user): user is string => typeof user === 'string')
    .map((user) => user.trim())
    .filter(Boolean)
  const named = typeof channel === 'string' && channel ? channel : undefined
  if (targets.length === 0 && !named) return undefined
  let body = msg
  if (typeof body === 'string') {
    try {
      const decoded = JSON.parse(body)
      if (decoded && typeof decoded === 'object') body = decoded
    } catch {
      // a plain string message
    }
  }
  return named ? { event, msg: body, to: targets, channel: named } : { event, msg: body, to: targets }
}

/** Where a push goes: the streams it is appended to, and whether it is a broadcast to everyone. */
export function targetsOf(message: PushMessage): { streams: string[]; everyone: boolean } {
  const everyone = message.to.includes('*')
  const streams = everyone ? [] : [...new Set(message.to)].map(userStream)
  if (message.channel) streams.push(channelStream(message.channel))
  return { streams, everyone }
}

/** The stored and delivered form of a push, `{"event":…,"msg":…}`, serialized once. */
export function publicationData(message: PushMessage): string {
  return toJson({ event: message.event, msg: message.msg }, 'the push')
}

/** What `push` reaches: the engine (every node), and this node's sessions and channels for the count. */
export interface PushTargets {
  engine(): Engine
  sessions: Sessions
  channels: Channels
}

/**
 * The server's `push`: `{type:'app', event, msg}` to users (`to`; `*`: everyone logged in, without
 * history) and/or a channel; each user and the channel get it at their stream's next position.
 * Resolves with how many sockets get it: across nodes for users (from presence), on this node for
 * a channel or a broadcast through Redis.
 */
export function createPush({ engine, sessions, channels }: PushTargets) {
  return async function push(input: PushInput): Promise<number> {
    const message = parsePush(input)
    if (!message) throw new TypeError('push needs an event and a recipient (to) or a channel')
    const data = publicationData(message) // a SerializationError here, before anything is sent anywhere
    const { streams, everyone } = targetsOf(message)
    if (everyone) await engine().broadcast(data)
    await Promise.all(streams.map((stream) => engine().publish(stream, data)))
    let count = message.channel ? channels.countOf(message.channel) : 0
    if (everyone) return count + sessions.boundCount
    for (const user of new Set(message.to)) count += (await engine().online(user)) ?? sessions.countOf(user)
    return count
  }
}
