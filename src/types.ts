// The public types of the client: what `createSocket` returns and the maps that type it.
import type { ClosedError, FinalError } from './errors'
import type { Position } from './protocol'

/**
 * - `idle`: not connected (not started yet, waiting to retry, nobody logged in, or stopped: gave up
 *   or the server's final decision, see `FinalError`);
 * - `connecting`: a socket is opening; `open`: it is open and logging in;
 * - `online`: logged in (or open, without `login`), requests flow;
 * - `closed`: `close()` was called; final.
 */
export type Status = 'idle' | 'connecting' | 'open' | 'online' | 'closed'

/**
 * Called on every status change; `error` says why the client left `open`/`online` or failed to get
 * there: a `ClosedError` (its `code` and `cause`, e.g. the login's `ServerError`), or the
 * `FinalError` with which the server stopped the client.
 */
export type StatusListener = (status: Status, previous: Status, error?: ClosedError | FinalError) => void

/** Server pushes by event name: `{ chat1: ChatMessage }` types `on('chat1', (message: ChatMessage) => ...)`. */
export type PushMap = object

/** Requests by event name: `{ login: { data: LoginPayload; body: string } }`. */
export type RequestMap = object

/** The message type of push `event`. */
export type PushOf<P, E> = E extends keyof P ? P[E] : never
// Field `K` of request `E`'s entry, `Missing` when the entry has none. `any` entries (the untyped
// default) stay `any` instead of collapsing to `unknown`.
type RequestField<R, E, K extends string, Missing> = E extends keyof R
  ? 0 extends 1 & R[E]
    ? R[E]
    : R[E] extends { [key in K]: infer T }
      ? T
      : Missing
  : never
/** What request `event` takes. */
export type DataOf<R, E> = RequestField<R, E, 'data', undefined>
/** What request `event` resolves with. */
export type BodyOf<R, E> = RequestField<R, E, 'body', unknown>
/** What a `login` function returns: the `data` of the `login` request when the map has one. */
export type LoginOf<R> = 'login' extends keyof R ? DataOf<R, 'login'> : unknown

// `data` can be left out unless the entry declares a `data` that cannot be `undefined`.
type DataRequired<R, E> = E extends keyof R
  ? 0 extends 1 & R[E]
    ? false
    : R[E] extends { data: infer T }
      ? undefined extends T
        ? false
        : true
      : false
  : false
/** The arguments of `send(event, ...)`: `data` is required when the map says so. */
export type SendArgs<R, E> = DataRequired<R, E> extends true
  ? [data: DataOf<R, E>, options?: SendOptions]
  : [data?: DataOf<R, E>, options?: SendOptions]
/** The arguments of `request(event, ...)`: `data` (required when the map says so), then options. */
export type RequestArgs<R, E> = DataRequired<R, E> extends true
  ? [data: DataOf<R, E>, options?: RequestOptions]
  : [data?: DataOf<R, E>, options?: RequestOptions]

/**
 * The maps used when none are given: any event, any message. Untyped pages can read `msg.msg`
 * without a cast, as with socket.io's defaults.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Untyped = Record<string, any>

export interface RequestOptions {
  /**
   * Overrides `requestTimeout` for this request, in ms: a positive number, or `Infinity` to wait until
   * the reply or the connection's end. Anything else rejects the request with a `RangeError`.
   */
  timeout?: number
  /**
   * Against a server that runs each request once within a window (its login reply says `dedupe`,
   * as the reference server's does), a request written on a socket that then died is written
   * again, with the same id, on the next connection, until its timeout: it runs once and settles
   * with the first reply. `false` fails it with `ClosedError` instead, as with any other server.
   * @default true
   */
  retry?: boolean
}

export interface SendOptions {
  /** As for requests: `false` never writes it again after a drop. @default true */
  retry?: boolean
}

export interface MpSocket<P extends PushMap = Untyped, R extends RequestMap = Untyped> {
  /** Where the client is in its life: see {@link Status}. */
  readonly status: Status
  /** Starts connecting and stays connected. Called again while offline or stopped, it tries at once. */
  connectionLoop(): void
  /**
   * Drops the current socket (requests written on it fail with `ClosedError`, or against a
   * deduplicating server are written again on the new connection; queued ones wait) and connects
   * again at once; also restarts a stopped client.
   */
  reconnect(): void
  /** Sends a request and resolves with the body of its reply. */
  request<E extends keyof R & string>(event: E, ...args: RequestArgs<R, E>): Promise<BodyOf<R, E>>
  /**
   * Sends a one-way message. While offline it waits in the queue like a request. Resolves once it is
   * written to an open socket; rejects when it is dropped (`OfflineError` queue full or closed,
   * `TimeoutError` still queued after `requestTimeout`, `ClosedError`). Against a deduplicating server
   * it resolves once acknowledged, and `TimeoutError` also means no acknowledgement in time (it may
   * have run). Ignoring the promise is safe: it never becomes an unhandled rejection.
   */
  send<E extends keyof R & string>(event: E, ...args: SendArgs<R, E>): Promise<void>
  /** Handles server pushes of `event`; returns the function that removes this handler. */
  on<E extends keyof P & string>(event: E, handler: (message: PushOf<P, E>) => void): () => void
  /** Like `on`, for the next push of `event` only. */
  once<E extends keyof P & string>(event: E, handler: (message: PushOf<P, E>) => void): () => void
  /** Removes `handler` from `event`. */
  off<E extends keyof P & string>(event: E, handler: (message: PushOf<P, E>) => void): void
  /** Removes every handler of `event` (for a page's `onUnload`). */
  uninstall(event: keyof P & string): void
  /**
   * Resolves once online; rejects with `OfflineError` when closed or when reconnecting gives up, and
   * with `FinalError` (`KickedError`, `AuthError`) when the server stopped the client.
   */
  ready(): Promise<void>
  /** Listens to status changes; returns the function that stops listening. */
  onStatus(listener: StatusListener): () => void
  /**
   * Follows a channel: its publications reach the subscription's handlers, once each, and the
   * subscription is restored after every reconnect, recovering what was missed. Subscribing to a
   * channel already followed returns the same subscription. `C` types its publications by event
   * (`subscribe<FleetPublications>('fleet')`), apart from the user pushes `on()` handles.
   */
  subscribe<C extends PushMap = P>(channel: string): Subscription<C>
  /**
   * After every login whose reply carries a stream position (servers with positions, such as the
   * reference server): `recovered` false means pushes may have been missed (or this is the first
   * login): load the state they would have updated.
   */
  onLoggedIn(listener: (recovery: Recovery) => void): () => void
  /** Stops for good: closes the socket, rejects pending requests, clears every timer and listener. */
  close(): void
}

/** What a login or subscribe reply says about the stream: `recovered` false means "load your state". */
export interface Recovery {
  /** Every message missed since the position presented was replayed; `false` on the first time too. */
  recovered: boolean
}

/** A channel followed with `socket.subscribe(channel)`. */
export interface Subscription<P extends PushMap = Untyped> {
  readonly channel: string
  /** Handles publications of `event` on this channel; returns the function that removes the handler. */
  on<E extends keyof P & string>(event: E, handler: (message: PushOf<P, E>) => void): () => void
  /** Removes `handler` from `event`. */
  off<E extends keyof P & string>(event: E, handler: (message: PushOf<P, E>) => void): void
  /**
   * Called after every (re)subscription: `recovered` is `false` the first time and whenever
   * publications were missed beyond what the server kept: reload what the channel shows.
   */
  onSubscribed(listener: (recovery: Recovery) => void): () => void
  /** Resolves once subscribed; rejects with the server's refusal (`ServerError`, 403 when not allowed). */
  ready(): Promise<Recovery>
  /**
   * Who follows the channel, on every node, for servers that open its presence to this user
   * (the reference server's `authorize` returns `{ presence: true }` or `'watch'`); rejects with
   * `ServerError` 403 otherwise.
   */
  presence(): Promise<Presence>
  /** Called when users join the channel (their first socket) or leave it (their last one). */
  onPresence(listener: (change: PresenceChange) => void): () => void
  /**
   * The channel's last publications the server still holds, oldest first, with their positions:
   * `limit` of them (the reference server takes 1 to 100), before `before` when given (the
   * position of the oldest one you have, to page back). Authorized like `subscribe`.
   */
  history(options: HistoryOptions): Promise<Array<Publication<P>>>
  /** Stops following the channel: no more handlers, no resubscription. Calling it twice is harmless. */
  unsubscribe(): void
}

/** The users following a channel: `users` lists at most the server's limit (100 by default), `count` is exact. */
export interface Presence {
  users: string[]
  count: number
}

/** Users who joined or left a channel. */
export interface PresenceChange {
  joined: string[]
  left: string[]
}

export interface HistoryOptions {
  limit: number
  before?: Position
}

/** A publication from `history()`: what the channel's `on(event)` handlers got, and its position. */
export type Publication<P extends PushMap = Untyped> = { [E in keyof P & string]: { event: E; message: P[E]; position: Position } }[keyof P & string]
