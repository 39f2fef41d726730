import type { DedupeStore } from './dedupe'
import type { Publication, Recovery, Position } from './streams'

/**
 * Carries publications to the sockets of every node, keeps the streams' history, and counts who is
 * online. `memoryEngine` for one process; `redisEngine` (Redis pub/sub, and keys with a TTL)
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
  /** Hands `frame` (a join or leave push) to `channel`'s presence watchers on every node, without history. */
  signal(channel: string, frame: string): Promise<void>
  /** The stream's position and, after `since`, what it still holds; creates the stream's epoch if needed. */
  recover(stream: string, since: Position | undefined): Promise<Recovery>
  /** The last publications of `stream` that it still holds, before `query.before` if given. */
  history(stream: string, query: HistoryQuery): Promise<HistoryPage>
  /** Who follows presence channels, across nodes. */
  readonly members: Members
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
  signal(channel: string, frame: string): void
}

export interface HistoryOptions {
  /** Entries kept per stream. @default 100 */
  size: number
  /** A stream not published to for this long is dropped with its epoch, in seconds. @default 300 */
  ttl: number
}

/** What a history call asks: the last `limit` publications, before `before` if given. */
export interface HistoryQuery {
  limit: number
  before?: Position
}

/** The last publications of a stream before a position (oldest first), and the stream's position now. */
export interface HistoryPage {
  position: Position
  publications: Publication[]
}

/** Who follows a channel: the first users listed (by name), and how many there are in all. */
export interface PresenceInfo {
  users: string[]
  count: number
}

/** A user joined the channel (their first socket anywhere) or left it (their last one). */
export type PresenceChange = 'joined' | 'left' | undefined

/** The members of presence channels across nodes: in memory (engine-memory.ts) or Redis (redis-members.ts). */
export interface Members {
  /** This node has `delta` more (or fewer) member sockets of `user` in `channel`. */
  count(channel: string, user: string, delta: number): Promise<PresenceChange>
  /** This node has watchers of `channel` (or no longer): it then also sweeps out the users of dead nodes. */
  watch(channel: string, watching: boolean): void
  read(channel: string, limit: number): Promise<PresenceInfo>
  close(): Promise<void>
}

