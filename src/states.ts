import type { Connection } from './adapters/types'
import type { By } from './close-codes'
import type { ClosedError } from './errors'
import type { Incoming } from './protocol'
import type { Status } from './types'

/**
 * Where the connection is: richer than the public {@link Status}, which `statusOf` maps it to.
 * Each state owns at most one timer, set on entry and cleared on leaving (see `enter`).
 * - `stopped`: not running: not started, gave up, or stopped by the server's final decision;
 * - `waiting-login`: `login()` returned nothing; asks again after `maxDelay`;
 * - `backoff`: waiting before the next attempt;
 * - `suspended`: the app is in the background past the runtime's grace period (lifecycle.ts):
 *   nothing is attempted, nothing counts, until it is shown;
 * - `connecting`: reading `url()` and `login()`, then opening the socket, within `connectTimeout`;
 * - `authenticating`: open, the login is on its way (the login request has its own timeout);
 * - `online`: requests flow; its timer looks for silence; `awaiting-pong`: silent too long, a
 *   ping is out, and any frame brings it back to `online`;
 * - `closed`: `close()` was called; final.
 * docs/architecture.md draws them.
 * @internal
 */
export type State = 'stopped' | 'waiting-login' | 'backoff' | 'suspended' | 'connecting' | 'authenticating' | 'online' | 'awaiting-pong' | 'closed'

/**
 * The states each state may go to. Development builds (the tests) check every `enter` against it;
 * `__DEV__` is false in the published builds, so neither the check nor the table ships.
 * @internal
 */
export const TRANSITIONS: Readonly<Record<State, readonly State[]>> = {
  stopped: ['connecting', 'suspended', 'closed'],
  'waiting-login': ['connecting', 'suspended', 'closed'],
  backoff: ['connecting', 'suspended', 'closed'],
  suspended: ['connecting', 'suspended', 'closed'],
  connecting: ['connecting', 'waiting-login', 'authenticating', 'online', 'backoff', 'suspended', 'stopped', 'closed'],
  authenticating: ['connecting', 'online', 'backoff', 'suspended', 'stopped', 'closed'],
  online: ['connecting', 'online', 'awaiting-pong', 'backoff', 'suspended', 'stopped', 'closed'],
  'awaiting-pong': ['connecting', 'online', 'backoff', 'suspended', 'stopped', 'closed'],
  closed: [],
}

/** The states that are neither connected nor on the way, with their public status. @internal */
export const RESTING: Partial<Record<State, Status>> = { stopped: 'idle', 'waiting-login': 'idle', backoff: 'idle', suspended: 'idle' }

/** The public status of a state. @internal */
export const statusOf = (state: State) =>
  RESTING[state] || (state === 'authenticating' ? 'open' : state === 'awaiting-pong' ? 'online' : (state as Status))

/**
 * One try at a connection, from `connect()` until its end: its socket and what it has seen.
 * Its callbacks do nothing once it is no longer the machine's current attempt. Its fields end
 * with `_`, as a pooled request's (`Pending`, pool.ts) do: shortened in the published build.
 * @internal
 */
export interface Attempt {
  /** Set once the adapter returned it. */
  socket_?: Connection
  /** When it went online (0: not yet). */
  online_: number
  /** When it last received a frame. */
  heard_: number
  /** It answered one of the app's requests: the server behind it works, whatever its time online. */
  served_?: boolean
}

/** What the connection needs from the client around it. @internal */
export interface ConnectionHooks {
  /** A request that skips the queue (login, ping): written on the socket open now. */
  request(event: string, data: unknown, timeout: number): Promise<unknown>
  /** A decoded reply or push; `true`: a reply to one of the app's requests. */
  message(message: Incoming): boolean | void
  /** Logged in (`reply`: the login reply's body): time to write what waited in the queue. */
  online(reply: unknown): void
  /**
   * A socket ended: what it carried fails with `error`. With `stopped`, the client stopped (or was
   * closed): what waited in the queue and every `ready()` fail with `stopped` too.
   */
  dropped(error: ClosedError, stopped?: Error): void
  status(next: Status, previous: Status, error?: Error): void
  /** Every state entered, in development builds only (the state machine's tests). */
  entered?(state: State): void
}

/** What an attempt (attempt.ts) sees of the machine (connection.ts) that runs it. @internal */
export interface Machine {
  readonly state_: State
  /** The attempt running now, if any. */
  readonly attempt_: Attempt | undefined
  /** Leaves the current state (and its timer) for `next`, whose timer runs `onTimer` after `delay` ms. */
  enter_(next: State, error?: Error, delay?: number, onTimer?: () => void): void
  /** Ends `attempt` (nothing when it is no longer the current one); see `end` in connection.ts. */
  end_(attempt: Attempt | undefined, code: number, reason: string, cause?: unknown, by?: By, refused?: boolean): void
  /** `login()` returned nothing: wait for one. */
  loggedOut_(): void
}
