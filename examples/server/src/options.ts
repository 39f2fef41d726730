import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Authorize } from './channels'
import type { HistoryOptions } from './engine'
import type { IngestRule, IngestTemplate } from './ingest'
import type { RedisTarget } from './redis-connection'
import type { TokenCheck } from './token'

export interface ServerOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 0 */
  port?: number
  /** Secret of the default token check (HMAC-SHA256 of `u`), and of `POST /push` unless `pushSecret` is set. */
  secret: string
  /** Bearer token `POST /push` requires. @default secret */
  pushSecret?: string
  /**
   * Checks a login (from a `login` request or the `?u=&token=` of the URL); the default is
   * `verifyToken(secret, u, token)`. `true`/`'ok'` lets the user in, `'expired'` asks the client for
   * a fresh token (reply 419, close 4419), `false`/`'invalid'` refuses (reply 401, close 4403).
   */
  verifyLogin?: (u: string, token: string) => boolean | TokenCheck | Promise<boolean | TokenCheck>
  /** A socket not logged in by then is closed with 4401, in ms. @default 10000 */
  loginTimeout?: number
  /** Server pings `{"type":"ping","uuid":...}` this often, in ms. @default 20000 */
  pingInterval?: number
  /** A socket silent (no frame at all) for this long is cut off, in ms. @default 60000 */
  idleTimeout?: number
  /** Largest frame accepted, in bytes; larger ones close the socket with 1009. @default 65536 */
  maxPayload?: number
  /** Deepest nesting of objects and arrays accepted in a frame or a `POST /push` body. @default 32 */
  maxDepth?: number
  /**
   * Bytes a socket may have waiting to be sent (a slow phone) before it is closed with 4503; the
   * client reconnects and recovers the rest from history. @default 1048576
   */
  maxBuffered?: number
  /**
   * HTTP connections idle, or sending their headers or body, longer than this are closed, in ms
   * (WebSocket connections are not affected once upgraded). @default 10000
   */
  httpTimeout?: number
  /** Frames a socket may send per `interval` ms before it is closed with 4429; `false`: no limit. */
  rateLimit?: { messages: number; interval: number } | false
  /**
   * Decides each `subscribe`: true lets the socket follow the channel. @default denies every
   * channel (`allowPatterns(['courier:*'])` builds one from patterns)
   */
  authorize?: Authorize
  /** Channels one socket may follow at once. @default 128 */
  maxSubscriptions?: number
  /**
   * Users a `presence` reply lists at most, the first by name; its `count` is always the exact
   * number, and join and leave pushes go on past it. @default 100
   */
  presenceLimit?: number
  /**
   * Requests (with a string `uuid` of at most 64 characters) are run once per user and id: a
   * duplicate within this many ms of the reply gets the same reply without running the handler
   * again; the login reply tells clients the window (`dedupe`), so that they may resend after a
   * drop. 0 turns it off. @default 60000
   */
  dedupe?: number
  /** Requests remembered for `dedupe` at most, over all users (the oldest is forgotten first); 4,194,304 at most. @default 100000 */
  dedupeEntries?: number
  /** Requests remembered for `dedupe` at most per user. @default 1000 */
  dedupePerUser?: number
  /** Stream history per user and per channel: entries kept and seconds kept. @default { size: 100, ttl: 300 } */
  history?: Partial<HistoryOptions>
  /** With a Redis URL, pushes, history and presence go through Redis so that several nodes act as one. */
  redisUrl?: string
  /**
   * The same through a Redis Cluster instead of one Redis: some of its nodes (`redis://host:port`),
   * from which the others are discovered. Not with `redisUrl`.
   */
  redisCluster?: string[]
  /**
   * Seconds a node's presence counts (who is online, for `push` results) last in Redis without a
   * refresh: a node refreshes them every third of it, so a crashed node's sockets stop counting
   * within this. Redis mode only. @default 90
   */
  presenceTtl?: number
  /** Prefix of the Redis keys and internal channels. @default 'mp-socket' */
  redisPrefix?: string
  /** Redis pub/sub channel on which any backend may publish the push envelope. @default 'mp-socket:push' */
  channel?: string
  /** Other Redis channels whose messages become pushes (seed 000's `tracking_updates`...); Redis mode only. */
  ingest?: Array<IngestRule | IngestTemplate>
  /** More HTTP routes (return true when handled), e.g. the demo's page. */
  routes?: (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>
  /** @default no logging */
  log?: (...args: unknown[]) => void
}

/** Every option with its default applied, resolved once. */
export type ResolvedOptions = Required<Omit<ServerOptions, 'redisUrl' | 'redisCluster' | 'routes' | 'verifyLogin' | 'history'>> &
  Pick<ServerOptions, 'routes' | 'verifyLogin'> & { history: HistoryOptions; redis?: RedisTarget }

export function resolveOptions(options: ServerOptions): ResolvedOptions {
  if (!options.secret) throw new Error('createServer: a secret is required')
  const { redisUrl, redisCluster, ...rest } = options
  if (redisUrl && redisCluster) throw new Error('createServer: redisUrl and redisCluster are exclusive: one Redis, or some nodes of one cluster')
  if (redisCluster && redisCluster.length === 0) throw new Error('createServer: redisCluster needs at least one node')
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)) as Omit<ServerOptions, 'redisUrl' | 'redisCluster'>
  return {
    host: '127.0.0.1',
    port: 0,
    pushSecret: options.secret,
    loginTimeout: 10_000,
    pingInterval: 20_000,
    idleTimeout: 60_000,
    maxPayload: 64 * 1024,
    maxDepth: 32,
    maxBuffered: 1024 * 1024,
    httpTimeout: 10_000,
    rateLimit: { messages: 200, interval: 1000 },
    log: () => {},
    authorize: () => false,
    maxSubscriptions: 128,
    presenceLimit: 100,
    dedupe: 60_000,
    dedupeEntries: 100_000,
    dedupePerUser: 1000,
    redisPrefix: 'mp-socket',
    presenceTtl: 90,
    channel: 'mp-socket:push',
    ingest: [],
    ...defined,
    history: { size: 100, ttl: 300, ...options.history },
    redis: redisCluster ? { cluster: redisCluster } : redisUrl ? { url: redisUrl } : undefined,
  }
}
