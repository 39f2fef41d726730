import type { PushInput } from './push'

export interface HandlerContext {
  /** The logged-in user of the socket, e.g. `user:6`. */
  user: string
  /** This socket's id, unique on this node. */
  socketId: string
  /**
   * The server's `push`: to users (`to`) and/or a channel (`channel`), on every node in multi-node
   * mode; resolves with how many sockets get it (see `ReferenceServer.push`).
   */
  push(message: PushInput): Promise<number>
}

export type Handler = (data: unknown, context: HandlerContext) => unknown

/** Events the server answers itself; handlers cannot take them. */
export const BUILT_IN_EVENTS = ['login', 'ping', 'response', 'subscribe', 'unsubscribe', 'history', 'presence']
