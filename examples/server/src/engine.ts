import type { DedupeStore } from './dedupe'
import type { Publication, Recovery, Position } from './streams'

/**
 * Carries publications to the sockets of every node, keeps the streams' history, and counts who is
 * online. `memoryEngine` for one process; `redisEngine` (Redis pub/sub, Streams and keys with a TTL)
 * for several.
 */
export interface Engine {
  readonly nodeId: string
  /**
   * Appends `data` to `stream` and delivers it on every node (this one included). With a `claim`
   * key, only the first node to claim it publishes (the others get `undefined`): that is how a
   * message every node hears on an ingest channel is stored and delivered once.
   */
  publish(stream: string, data: string, claim?: string): Promise<Publication | undefined>
  /** Delivers `data` to everyone logged in on every node, without history. */
  broadcast(data: string): Promise<void>
  /** The stream's position and, after `since`, what it still holds; creates the stream's epoch if needed. */
  recover(stream: string, since: Position | undefined): Promise<Recovery>
  /** This node now has `count` logged-in sockets of `user` (0: none). */
  setPresence(user: string, count: number): Promise<void>
  /** Sockets of `user` online across all nodes, or undefined when only this node knows (memory). */
  online(user: string): Promise<number | undefined>
  /** Where requests are deduplicated across nodes; none on one node, where memory is enough. */
  readonly dedupe?: DedupeStore
  close(): Promise<void>
}

/** Where an engine hands what it carries: to this node's sockets. */
export interface EngineListener {
  publication(publication: Publication): void
  broadcast(data: string): void
}

export interface HistoryOptions {
  /** Entries kept per stream (approximately, in Redis). @default 100 */
  size: number
  /** A stream not published to for this long is dropped with its epoch, in seconds. @default 300 */
  ttl: number
}
