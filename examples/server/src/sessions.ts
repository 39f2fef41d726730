import type { WebSocket } from 'ws'
import type { Session } from './session'

/**
 * Every session of this node, and which of them belong to which user (one user, many devices).
 * `onPresence` hears each change of a user's socket count on this node.
 */
export class Sessions {
  private readonly bySocket = new Map<WebSocket, Session>()
  private readonly byUser = new Map<string, Set<Session>>()

  constructor(private readonly onPresence: (user: string, count: number) => void) {}

  add(session: Session) {
    this.bySocket.set(session.socket, session)
  }

  remove(session: Session) {
    this.bySocket.delete(session.socket)
    this.unbind(session)
  }

  /** Binds `session` to `user`; a session logged in as someone else is moved, not duplicated. */
  bind(session: Session, user: string) {
    if (session.user === user) return
    this.unbind(session)
    session.user = user
    const sessions = this.byUser.get(user) ?? new Set<Session>()
    sessions.add(session)
    this.byUser.set(user, sessions)
    this.onPresence(user, sessions.size)
  }

  unbind(session: Session) {
    const user = session.user
    if (user === undefined) return
    session.user = undefined
    const sessions = this.byUser.get(user)
    sessions?.delete(session)
    if (sessions && sessions.size === 0) this.byUser.delete(user)
    this.onPresence(user, sessions?.size ?? 0)
  }

  ofUser(user: string): Iterable<Session> {
    return this.byUser.get(user) ?? []
  }

  countOf(user: string) {
    return this.byUser.get(user)?.size ?? 0
  }

  users() {
    return this.byUser.keys()
  }

  all() {
    return this.bySocket.values()
  }

  get size() {
    return this.bySocket.size
  }

  get userCount() {
    return this.byUser.size
  }

  /** Logged-in sockets on this node. */
  get boundCount() {
    let total = 0
    for (const sessions of this.byUser.values()) total += sessions.size
    return total
  }
}
