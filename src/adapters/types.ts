/** Callbacks an adapter calls for the one socket it opened. */
export interface ConnectionHandlers {
  open(): void
  /** Text as a string; binary as an ArrayBuffer. */
  message(data: unknown): void
  /** `code` 1006 and an empty reason stand in for what the runtime leaves out. */
  close(code: number | undefined, reason: string | undefined): void
  error(message: string): void
}

/**
 * Options for the runtime's `connectSocket`, passed through as they are. Where a runtime has no
 * such option it is left out: browsers and H5 runtimes cannot send headers (put a token in the URL
 * or in the login instead); Alipay takes `protocols` as a `Sec-WebSocket-Protocol` header.
 */
export interface ConnectOptions {
  /** Handshake headers (mini-programs, uni-app outside H5, Node's `ws`). */
  header?: Record<string, string>
  /** Sub-protocols; the server must echo one (ByteDance refuses the socket otherwise). */
  protocols?: string[]
  /** Negotiate compression (WeChat, Node's `ws`). */
  perMessageDeflate?: boolean
  /** Turn off Nagle's algorithm (WeChat). */
  tcpNoDelay?: boolean
  /** The runtime's own handshake timeout, in ms (the client's `connectTimeout` applies everywhere). */
  timeout?: number
}

/** One socket, as the client sees it. */
export interface Connection {
  send(data: string | ArrayBuffer): void
  close(code: number, reason: string): void
}

/**
 * Turns one runtime's socket API into what the client needs. Adapters for wx, uni, my, tt, qq,
 * swan, Taro and WebSocket ship with the SDK; write your own for anything else.
 */
export interface Adapter {
  /** Opens a socket. May throw; may call `handlers` at any time, even before returning. */
  connect(url: string, handlers: ConnectionHandlers, options?: ConnectOptions): Connection
  /**
   * Calls `wake` when the network comes back or changes, or the app returns to the foreground:
   * moments when the connection is likely dead or worth trying at once; and `visible(false)` when
   * the app goes to the background, `visible(true)` when it comes back (before `wake`). Returns the
   * function that removes every listener it added.
   */
  watch?(wake: () => void, visible?: (shown: boolean) => void): () => void
  /** The runtime's key-value storage, for `persist: true`. */
  storage?: PositionStorage
}

/**
 * Where the positions handled survive a relaunch (`persist`): the runtime's storage (`persist:
 * true`: `wx`/`uni`/`my`/`tt`/Taro `getStorageSync`, a browser's `localStorage`), or yours.
 */
export interface PositionStorage {
  /** The value `set` stored under `key` (a runtime's `''` or `undefined` when there is none). */
  get(key: string): unknown
  set(key: string, value: string): void
  /**
   * The user a login payload logs in, whose positions are stored apart from every other user's.
   * @default the payload's `u` field (the default protocol's login)
   */
  user?(payload: unknown): string | undefined
}
