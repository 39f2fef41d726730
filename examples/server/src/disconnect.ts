import { CloseCode } from './codes'
import type { Sessions } from './sessions'

/**
 * An order to close every socket of some users, wherever they are connected: `POST /disconnect`,
 * `{"disconnect": …}` published on the push channel, or `server.disconnect()`.
 */
export interface DisconnectOrder {
  /** The users, e.g. `['user:6']`. */
  to: string[]
  /** The close code (and of the `{"type":"close"}` frame before it). @default 4409 */
  code: number
  /** @default 'disconnected' */
  reason: string
}

/** What `POST /disconnect` and the Redis `{"disconnect": …}` message take. */
export interface DisconnectInput {
  /** A user (`user:6`) or several; never `*`. */
  to: string | string[]
  /** 1000-1003, 1007-1014 or 3000-4999. @default 4409 (the SDK stops with `KickedError`) */
  code?: number
  /** At most 123 bytes. @default 'disconnected' */
  reason?: string
}

/** A close reason must fit in a close frame's 125 bytes, with the 2 of the code. */
const MAX_REASON_BYTES = 123

/**
 * Reads a disconnect order, or says what is wrong with it. `to` is a user or an array of them
 * (not `*`: kicking everyone is a restart, not an order); `code` one that `ws` can send
 * (1000-1003, 1007-1014, 3000-4999). The client's default `finalClose` keeps it off only for
 * 4403, 4409 and 4426; after any other code it reconnects.
 */
export function parseDisconnect(input: unknown): DisconnectOrder | string {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return 'expected {"to": "user:6" | ["user:6", ...], "code"?, "reason"?}'
  const { to, code = CloseCode.kicked, reason = 'disconnected' } = input as Record<string, unknown>
  const users = typeof to === 'string' ? [to] : to
  if (!Array.isArray(users) || users.length === 0 || !users.every((user) => typeof user === 'string' && user.trim() !== '')) {
    return '"to" must be a user or a non-empty array of users'
  }
  if (users.some((user) => user.trim() === '*')) return '"to" names users: "*" is not one'
  if (!isSendableCode(code)) return '"code" must be a close code: 1000-1003, 1007-1014 or 3000-4999'
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_REASON_BYTES) return `"reason" must be a string of at most ${MAX_REASON_BYTES} bytes`
  return { to: [...new Set(users.map((user) => user.trim()))], code, reason }
}

/** The close codes `ws` lets a server send (the others are reserved, or mean "no frame"). */
const isSendableCode = (code: unknown): code is number =>
  typeof code === 'number' && Number.isInteger(code) && ((code >= 1000 && code <= 1014 && (code < 1004 || code > 1006)) || (code >= 3000 && code <= 4999))

/** Closes this node's sockets of the order's users, each after its close frame; returns how many. */
export function disconnectHere(sessions: Sessions, order: DisconnectOrder): number {
  let count = 0
  for (const user of order.to) {
    for (const session of [...sessions.ofUser(user)]) {
      // Already closing (kicked a moment ago, or the node is draining): not counted twice.
      if (!session.open) continue
      session.close(order.code, order.reason)
      count++
    }
  }
  return count
}
