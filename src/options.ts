import type { Adapter } from './adapters/types'
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
}

export interface HeartbeatOptions {
  /** Time between pings while online, in ms. @default 30000 */
  interval?: number
  /** A ping not answered within this many ms means the connection is dead. @default 10000 */
  timeout?: number
}

export interface QueueOptions {
  /** Most requests that may wait for the connection at once; more are rejected with `OfflineError`. @default 100 */
  max?: number
}

/** Where debug lines go. */
export interface Logger {
  log(...args: unknown[]): void
}

/**
 * `Login` is what `login` returns: with a typed request map, `createSocket` sets it to the `data` of
 * the map's `login` request, so a payload with a misspelt field does not compile.
 */
export interface SocketOptions<Login = unknown> {
  /** Server address, or a function read again before every connect (for signed or rotating URLs). */
  url: string | (() => string | Promise<string>)
  /** The socket API to use: a runtime name, or an adapter such as `web(WebSocket)` or `taro(Taro)`. @default 'auto' */
  runtime?: RuntimeName | Adapter
  /**
   * Returns the login payload (seed protocol: `{ u: 'user:6', token }`), called before every connect.
   * `null`/`undefined` means nobody is logged in: the client stays offline and asks again later,
   * or at once when `connectionLoop()` is called. Leave it out to be online as soon as the socket opens.
   */
  login?: () => Login | null | undefined | Promise<Login | null | undefined>
  /** The wire format. @default jsonProtocol */
  protocol?: Protocol
  /** Default time a request waits for its reply, in ms, including time spent queued. @default 10000 */
  requestTimeout?: number
  /** Time a socket may take to open, in ms. @default 10000 */
  connectTimeout?: number
  /** Ping the server while online to find dead connections; `false` turns it off. */
  heartbeat?: HeartbeatOptions | false
  /** Reconnect with exponential backoff; `false` turns it off. */
  reconnect?: ReconnectOptions | false
  /** Requests made while not online wait for the connection; `false` rejects them at once. */
  queue?: QueueOptions | false
  /** `true` logs to the console with a `[mp-socket]` prefix; or pass a logger. Tokens are never logged. @default false */
  debug?: boolean | Logger
}

/** @internal */
export interface ResolvedOptions {
  url: () => string | Promise<string>
  login: (() => unknown) | undefined
  protocol: Protocol
  requestTimeout: number
  connectTimeout: number
  heartbeat: Required<HeartbeatOptions> | false
  reconnect: (BackoffOptions & { maxRetries: number }) | false
  queueMax: number
  log: (...args: unknown[]) => void
}

/** @internal */
export function resolveOptions(options: SocketOptions): ResolvedOptions {
  const { url, heartbeat, reconnect, queue, debug } = options
  const logger = debug === true ? console : debug || undefined
  return {
    url: typeof url === 'function' ? url : () => url,
    login: options.login,
    protocol: options.protocol || jsonProtocol,
    requestTimeout: options.requestTimeout || 10000,
    connectTimeout: options.connectTimeout || 10000,
    heartbeat: withDefaults(heartbeat, { interval: 30000, timeout: 10000 }),
    reconnect: withDefaults(reconnect, { minDelay: 1000, maxDelay: 30000, factor: 2, jitter: 0.5, maxRetries: Infinity }),
    queueMax: queue === false ? 0 : (queue && queue.max) || 100,
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
