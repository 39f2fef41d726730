import type { Adapter, ConnectOptions, PositionStorage } from './adapters/types'
import type { RuntimeName } from './adapters/auto'
import type { BackoffOptions } from './backoff'
import { jsonProtocol, type Protocol } from './protocol'

export interface ReconnectOptions {
  /** Delay before the first retry, in ms. @default 1000 */
  minDelay?: number
  /** Longest delay between retries, in ms. @default 30000 */
  maxDelay?: number
  /** Each retry waits this many times longer than the one before. @default 2 */
  factor?: number
  /** Up to this share of each delay is taken off at random, so clients dropped together spread out. @default 0.5 */
  jitter?: number
  /** Retries in a row before the loop gives up (`connectionLoop()` starts it again). @default Infinity */
  maxRetries?: number
  /**
   * A connection counts as healthy once it has been online this long, in ms, or has answered one
   * of the app's requests: only then does the next drop start the backoff from `minDelay` again
   * (a login or ping reply is not enough). A server that accepts and then closes at once
   * (an expired token in the URL, a login it cuts off) therefore sees growing delays, not a storm.
   * @default 5000
   */
  stableAfter?: number
}

export interface HeartbeatOptions {
  /** Silence (no frame received) after which the client checks the connection, in ms. @default 30000 */
  interval?: number
  /** After a check starts, the time to wait for any frame before the connection counts as dead, in ms. @default 10000 */
  timeout?: number
  /**
   * How the check asks the server for a sign of life:
   * - `'request'`: the `ping` request, which the server answers (default protocol); an error reply means
   *   the server forgot the login, and the client reconnects and logs in again;
   * - `'send'`: a one-way frame (`protocol.encodePing`) for servers that answer it with any frame;
   * - `false`: nothing is sent: for servers that push often enough by themselves (or send their own
   *   pings), silence for `interval + timeout` drops the connection.
   * Any frame received counts as a sign of life in every mode.
   * @default 'request'
   */
  ping?: 'request' | 'send' | false
}

export interface QueueOptions {
  /** Most requests that may wait for the connection at once; more are rejected with `OfflineError`. @default 100 */
  max?: number
}

/** Where debug lines go. */
export interface Logger {
  log(...args: unknown[]): void
}

/** What `url` and `login` are told before each connect. */
export interface ConnectContext {
  /**
   * `true` when the server said the last token expired or rejected it: fetch a fresh one instead of
   * the cached one.
   */
  refresh: boolean
}

/**
 * `Login` is what `login` returns: with a typed request map, `createSocket` sets it to the `data` of
 * the map's `login` request, so a payload with a misspelt field does not compile.
 */
export interface SocketOptions<Login = unknown> {
  /** Server address, or a function read again before every connect (for signed or rotating URLs). */
  url: string | ((context: ConnectContext) => string | Promise<string>)
  /** The socket API to use: a runtime name, or an adapter such as `web(WebSocket)` or `taro(Taro)`. @default 'auto' */
  runtime?: RuntimeName | Adapter
  /** Passed to the runtime's `connectSocket` (headers, sub-protocols...): see {@link ConnectOptions}. */
  connectOptions?: ConnectOptions
  /**
   * Returns the login payload (default protocol: `{ u: 'user:6', token }`), called before every connect.
   * `null`/`undefined` means nobody is logged in: the client stays offline and asks again later,
   * or at once when `connectionLoop()` is called. Leave it out to be online as soon as the socket opens.
   * With `context.refresh` the server said the token expired or was refused: return a fresh one.
   */
  login?: (context: ConnectContext) => Login | null | undefined | Promise<Login | null | undefined>
  /** Logins refused in a row before the client stops with `AuthError`. @default 3 */
  authAttempts?: number
  /**
   * Decides whether a close the server chose (its close frame, or the close code where the runtime
   * reports one) ends the connection for good: the loop stops with `KickedError` (4409), `AuthError`
   * (4403) or `FinalError`. By default 4403, 4409 and 4426 are final.
   */
  finalClose?: (code: number, reason: string) => boolean
  /** The wire format. @default jsonProtocol */
  protocol?: Protocol
  /** Default time a request waits for its reply, in ms, including time spent queued. @default 10000 */
  requestTimeout?: number
  /** Time a socket may take to open, in ms. @default 10000 */
  connectTimeout?: number
  /** Checks the connection while online to find dead ones; `false` turns it off. */
  heartbeat?: HeartbeatOptions | false
  /** Reconnect with exponential backoff; `false` turns it off. */
  reconnect?: ReconnectOptions | false
  /** Requests made while not online wait for the connection; `false` rejects them at once. */
  queue?: QueueOptions | false
  /**
   * Stay connected while the app is in the background, for apps the runtime keeps running there
   * (background location, audio). Otherwise, once the runtime suspends a hidden app's network
   * (WeChat and Douyin: 5 s after it is hidden), the client stops attempting, keeps its queue and
   * counts nothing towards `maxRetries` or `authAttempts`; when the app is shown it checks or
   * replaces the socket at once and recovers what it missed.
   * @default false
   */
  background?: boolean
  /**
   * Keeps the last position handled per stream (the user's pushes and each channel) where it
   * survives a relaunch, so that the next launch recovers what was pushed while the app was
   * killed, once and in order (`recovered: true`). `true`: the runtime's storage; or your own
   * `{ get, set }`. Stored per user (the login payload's `u`, or `persist.user(payload)`), at most
   * 100 streams, written at most once a second and at once when the app is hidden.
   * @default false
   */
  persist?: boolean | PositionStorage
  /** `true` logs to the console with a `[mp-socket]` prefix; or pass a logger. Tokens are never logged. @default false */
  debug?: boolean | Logger
}

/** @internal */
export interface ResolvedOptions {
  url: (context: ConnectContext) => string | Promise<string>
  login: ((context: ConnectContext) => unknown) | undefined
  connectOptions: ConnectOptions | undefined
  authAttempts: number
  finalClose: (code: number, reason: string) => boolean
  protocol: Protocol
  requestTimeout: number
  connectTimeout: number
  heartbeat: Required<HeartbeatOptions> | false
  reconnect: (BackoffOptions & { maxRetries: number; stableAfter: number }) | false
  queueMax: number
  background: boolean
  log: (...args: unknown[]) => void
}

/** @internal */
export function resolveOptions(options: SocketOptions): ResolvedOptions {
  const { url, heartbeat, reconnect, queue, debug } = options
  const logger = debug === true ? console : debug || undefined
  return {
    url: typeof url === 'function' ? url : () => url,
    login: options.login,
    connectOptions: options.connectOptions,
    authAttempts: options.authAttempts || 3,
    finalClose: options.finalClose || ((code) => code === 4403 || code === 4409 || code === 4426),
    protocol: options.protocol || jsonProtocol,
    requestTimeout: options.requestTimeout || 10000,
    connectTimeout: options.connectTimeout || 10000,
    heartbeat: withDefaults<Required<HeartbeatOptions>>(heartbeat, { interval: 30000, timeout: 10000, ping: 'request' }),
    reconnect: withDefaults(reconnect, {
      minDelay: 1000,
      maxDelay: 30000,
      factor: 2,
      jitter: 0.5,
      maxRetries: Infinity,
      stableAfter: 5000,
    }),
    queueMax: queue === false ? 0 : (queue && queue.max) || 100,
    background: !!options.background,
    log: logger ? (...args) => logger.log('[mp-socket]', ...args) : () => {},
  }
}

// Fields left `undefined` (`{ maxDelay: config.maxDelay }` with nothing configured) keep their
// default instead of turning delays into NaN, which setTimeout would run at once, in a loop.
function withDefaults<T extends object>(value: Partial<T> | false | undefined, defaults: T): T | false {
  if (value === false) return false
  for (const key in value) if (value[key] !== undefined) defaults[key] = value[key] as T[typeof key]
  return defaults
}
