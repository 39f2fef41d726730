import type { Handler } from './handlers'
import type { PushInput } from './push'

/** What `createServer()` returns. */
export interface ReferenceServer {
  /** Registers the handler of a client request event. */
  handle(event: string, handler: Handler): ReferenceServer
  /**
   * Pushes `{type:'app', event, msg}` to users (`to`; `*`: everyone logged in, without history)
   * and/or a channel; each user and the channel get it at their stream's next position. Resolves
   * with how many sockets get it, counted on every node. A `msg` that cannot be serialized rejects
   * with `SerializationError` and sends nothing.
   */
  push(input: PushInput): Promise<number>
  /**
   * Closes every socket of `to` (a user or several), on every node (e.g. logged in elsewhere), each
   * after a `{"type":"close"}` frame with the same code; with 4409 (the default) the client stops
   * with `KickedError`. Resolves with how many sockets were closed; rejects a malformed order with
   * a `TypeError` and closes nothing.
   */
  disconnect(to: string | string[], code?: number, reason?: string): Promise<number>
  /** Sockets of `user` on this node. */
  socketsOf(user: string): number
  /** Sockets following `channel` on this node. */
  subscribersOf(channel: string): number
  /** Sockets open on this node, logged in or not. */
  readonly connections: number
  /** The port it listens on, once listening. */
  readonly port: number
  /** This node's id: `local` in memory, a random UUID with Redis. */
  readonly nodeId: string
  /** Connects Redis (if configured) and starts listening. */
  listen(): Promise<ReferenceServer>
  /**
   * Drains the node: stops accepting, closes every socket with 1012 after its close frame (clients
   * reconnect, to another node behind a load balancer, and recover what they missed), clears this
   * node's presence in Redis, then releases Redis.
   */
  close(): Promise<void>
}
