import type { PushMessage } from './bus'

export interface HandlerContext {
  /** The logged-in user of the socket, e.g. `user:6`. */
  user: string
  /** This socket's id, unique on this node. */
  socketId: string
  /** Pushes to users (on every node in multi-node mode); resolves with how many sockets get it. */
  push(event: string, msg: unknown, to: string | string[]): Promise<number>
}

export type Handler = (data: unknown, context: HandlerContext) => unknown

/** Events the server answers itself; handlers cannot take them. */
export const BUILT_IN_EVENTS = ['login', 'ping', 'response']

export type PushInput = Omit<PushMessage, 'to'> & { to: string | string[] }
