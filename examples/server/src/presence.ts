import type { Engine } from './engine'
import { prepareFrame } from './prepared'
import type { Session } from './session'

/** What `authorize` may return instead of `true`: the subscription, with the channel's presence. */
export interface ChannelGrant {
  /**
   * `true`: the socket's user is listed in the channel's presence and the socket sees it
   * (`presence()`, join and leave pushes); `'member'`: listed only (the customers an agent
   * watches, who must not see each other); `'watch'`: sees it without being listed (the agent, a
   * dashboard). Anything else: not in the channel's presence, as with `true`.
   */
  presence?: boolean | 'member' | 'watch'
}

/** A subscriber's place in the channel's presence. */
export interface Access {
  member: boolean
  watch: boolean
}

/** `authorize`'s answer as access: `true` or a grant allows; anything else (undefined here) denies. */
export function accessOf(grant: unknown): Access | undefined {
  if (grant === true) return { member: false, watch: false }
  if (!grant || typeof grant !== 'object') return undefined
  const { presence } = grant as ChannelGrant
  return { member: presence === true || presence === 'member', watch: presence === true || presence === 'watch' }
}

/** The event of join and leave pushes: the SDK hands them to `onPresence`, never to `on()` handlers. */
export const PRESENCE_EVENT = '$presence'

/** A join or leave push: a channel frame of the reserved event, without a position (no history). */
export const presenceFrame = (channel: string, joined: string[], left: string[]) => JSON.stringify({ type: 'app', event: PRESENCE_EVENT, channel, joined, left })

/** The first `limit` names, sorted: the same list on every node and every call. */
export const listed = (users: Iterable<string>, limit: number) => [...users].sort().slice(0, limit)

export interface PresenceContext {
  engine(): Engine
  /** Users a `presence()` reply lists at most; `count` is exact. */
  limit: number
  log: (...args: unknown[]) => void
}

/**
 * This node's side of channel presence: which sessions are members and watchers of which channel.
 * Members are counted by the engine's `Members`, which says when a user joins or leaves across
 * nodes; the watchers get the join and leave pushes.
 */
export function createPresence({ engine, limit, log }: PresenceContext) {
  const watchers = new Map<string, Set<Session>>()
  /** What each session is in each channel it follows with presence, and as which user. */
  const bySession = new Map<Session, Map<string, Access & { user: string }>>()

  function count(channel: string, user: string, delta: number) {
    engine()
      .members.count(channel, user, delta)
      .then((change) => change && engine().signal(channel, presenceFrame(channel, change === 'joined' ? [user] : [], change === 'left' ? [user] : [])))
      .catch((error) => log('presence of', channel, 'not updated:', error.message))
  }

  function watch(channel: string, session: Session, on: boolean) {
    const set = watchers.get(channel) ?? new Set<Session>()
    if (on) set.add(session)
    else set.delete(session)
    if (set.size) watchers.set(channel, set)
    else watchers.delete(channel)
    engine().members.watch(channel, set.size > 0)
  }

  function remove(session: Session, channel: string) {
    const entries = bySession.get(session)
    const entry = entries?.get(channel)
    if (!entries || !entry) return
    entries.delete(channel)
    if (!entries.size) bySession.delete(session)
    if (entry.member) count(channel, entry.user, -1)
    if (entry.watch) watch(channel, session, false)
  }

  return {
    /** `session` (logged in as `user`) follows `channel` with `access`; following it again changes nothing. */
    add(session: Session, channel: string, user: string, access: Access) {
      if (!access.member && !access.watch) return
      const entries = bySession.get(session) ?? new Map<string, Access & { user: string }>()
      if (entries.has(channel)) return
      entries.set(channel, { ...access, user })
      bySession.set(session, entries)
      if (access.member) count(channel, user, 1)
      if (access.watch) watch(channel, session, true)
    },
    remove,
    /** A session ended: it leaves every channel. */
    removeAll(session: Session) {
      for (const channel of [...(bySession.get(session)?.keys() ?? [])]) remove(session, channel)
    },
    read: (channel: string) => engine().members.read(channel, limit),
    /** A join or leave push from the engine (any node): to this node's watchers of the channel. */
    deliver(channel: string, frame: string) {
      const watching = watchers.get(channel)
      if (!watching) return
      const prepared = prepareFrame(frame)
      for (const session of watching) session.send(prepared)
    },
  }
}

export type Presence = ReturnType<typeof createPresence>
