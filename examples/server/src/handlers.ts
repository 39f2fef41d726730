import type { PushInput } from './push'

export interface HandlerContext {
  /** The logged-in user of the socket, e.g. `user:6`. */
  user: string
  /** This socket's id, unique on this node. */
  socketId: string
  /**
   * The request's id (the frame's `uuid`; undefined for a one-way message). With dedupe on, every
   * resend of one request carries the same id, and a request another node ran up to its effect
   * but died before storing the reply runs again: an effect keyed by (`user`, `requestId`) and
   * made at most once per key (a unique row, `SET NX` in the same transaction) happens once even then.
   */
  requestId: string | number | undefined
  /**
   * The server's `push`: to users (`to`) and/or a channel (`channel`), on every node in multi-node
   * mode; resolves with how many sockets get it (see `ReferenceServer.push`).
   */
  push(message: PushInput): Promise<number>
}

export type Handler = (data: unknown, context: HandlerContext) => unknown

/** Events the server answers itself; handlers cannot take them. */
export const BUILT_IN_EVENTS = ['login', 'ping', 'response', 'subscribe', 'unsubscribe', 'history', 'presence']
