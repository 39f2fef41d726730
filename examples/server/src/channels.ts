import { accessOf, type Access, type ChannelGrant } from './presence'
import type { Session } from './session'

/**
 * Who may subscribe to what, and read the channel's history and presence: called for every
 * subscribe, `history` and `presence` request. `true` allows; a `ChannelGrant` allows with the
 * channel's presence (`{ presence: true }`); anything else (or a throw) denies.
 */
export type Authorize = (channel: string, context: { user: string; socketId: string }) => boolean | ChannelGrant | Promise<boolean | ChannelGrant>

/** Channel names: 1-200 characters, none of them a control character (they frame Redis messages). */
// eslint-disable-next-line no-control-regex
const CHANNEL_NAME = /^[^\u0000-\u001f\u007f]{1,200}$/

export const isChannelName = (value: unknown): value is string => typeof value === 'string' && CHANNEL_NAME.test(value)

export const badName = 'channel must be a name of 1 to 200 characters'

/** What `authorize` grants on `channel`: undefined when denied (a throw denies, and is logged). */
export async function accessTo(authorize: Authorize, channel: string, context: { user: string; socketId: string }, log: (...args: unknown[]) => void): Promise<Access | undefined> {
  try {
    return accessOf(await authorize(channel, context))
  } catch (error) {
    log('authorize threw:', error)
  }
}

/**
 * An `authorize` from simple patterns, for configuration: `courier:*` allows every channel that
 * starts with `courier:`, `*` allows everything, `chat:{user}` only the user's own channel. The
 * allowed channels that match a `presence` pattern too come with their presence (`{ presence: true }`).
 */
export function allowPatterns(patterns: string[], presence: string[] = []): Authorize {
  const matches = (list: string[], channel: string, user: string) =>
    list.some((pattern) => {
      const expanded = pattern.split('{user}').join(user)
      return expanded.endsWith('*') ? channel.startsWith(expanded.slice(0, -1)) : channel === expanded
    })
  return (channel, { user }) => matches(patterns, channel, user) && (matches(presence, channel, user) ? { presence: true } : true)
}

/** The subscriptions of this node's sessions, both ways. */
export class Channels {
  private readonly subscribers = new Map<string, Set<Session>>()

  add(session: Session, channel: string) {
    const set = this.subscribers.get(channel) ?? new Set<Session>()
    set.add(session)
    this.subscribers.set(channel, set)
    session.channels.add(channel)
  }

  remove(session: Session, channel: string) {
    session.channels.delete(channel)
    const set = this.subscribers.get(channel)
    set?.delete(session)
    if (set && set.size === 0) this.subscribers.delete(channel)
  }

  /** Drops every subscription of a closed session. */
  removeAll(session: Session) {
    for (const channel of [...session.channels]) this.remove(session, channel)
  }

  of(channel: string): Iterable<Session> {
    return this.subscribers.get(channel) ?? []
  }

  countOf(channel: string) {
    return this.subscribers.get(channel)?.size ?? 0
  }

  get size() {
    return this.subscribers.size
  }
}
