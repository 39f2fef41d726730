import type { Adapter, Connection } from './adapters/types'
import { reconnectDelay } from './backoff'
import { AuthError, ClosedError, FinalError, KickedError, OfflineError, ServerError } from './errors'
import type { ResolvedOptions } from './options'
import type { Frame, Incoming, OutgoingFrame } from './protocol'
import type { Status } from './types'

/**
 * Where the connection is. Richer than the public {@link Status}, which {@link STATUS} maps it to;
 * each state owns at most one timer, set on entry and cleared on leaving (see `enter`).
 * - `stopped`: not running: not started, gave up, stopped by a final close (`final`);
 * - `waiting-login`: `login()` returned nothing; asks again after `maxDelay`;
 * - `backoff`: waiting before the next attempt;
 * - `preparing`: reading `url()` and `login()`; `opening`: the socket opens (connect timeout);
 * - `authenticating`: open, the login is on its way;
 * - `online`: requests flow; its timer checks for silence; `awaiting-pong`: silent too long, a
 *   ping is out, and any frame brings it back to `online`;
 * - `closed`: `close()` was called; final.
 */
type State =
  | 'stopped'
  | 'waiting-login'
  | 'backoff'
  | 'preparing'
  | 'opening'
  | 'authenticating'
  | 'online'
  | 'awaiting-pong'
  | 'closed'

const STATUS: Record<State, Status> = {
  stopped: 'idle',
  'waiting-login': 'idle',
  backoff: 'idle',
  preparing: 'connecting',
  opening: 'connecting',
  authenticating: 'open',
  online: 'online',
  'awaiting-pong': 'online',
  closed: 'closed',
}

/*
 * Close codes of the client's own drops (never read as a server's decision): 4000 open timeout,
 * 4001 login failed, 4002 ping timeout or silent too long, 4003 login lost, 4004 `reconnect()`.
 */

/** What the connection needs from the client around it. @internal */
export interface ConnectionHooks {
  /** A request that skips the queue (login, ping): written on the socket open now. */
  request(event: string, data: unknown, timeout: number): Promise<unknown>
  /** A decoded reply or push. */
  message(message: Incoming): void
  /** Logged in: time to write what waited in the queue. */
  online(): void
  /** The socket is gone: fail what it carried; with `stopped`, everything, queued requests too. */
  dropped(error: Error, stopped: boolean): void
  status(next: Status, previous: Status, error?: Error): void
}

/**
 * The connection lifecycle: one socket at a time, login, liveness, backoff, final decisions.
 * Only one attempt runs at a time: every socket callback carries the `generation` it was made in
 * and is ignored once a newer socket (or none) replaced it.
 * @internal
 */
export function createConnection(options: ResolvedOptions, adapter: Adapter, hooks: ConnectionHooks) {
  const { url, login, protocol, requestTimeout, connectTimeout, heartbeat, reconnect, authAttempts, log } = options
  let state: State = 'stopped'
  let status: Status = 'idle'
  let timer: ReturnType<typeof setTimeout> | undefined
  let generation = 0
  let socket: Connection | undefined
  /** `connectionLoop()` was called and nothing stopped it since. */
  let running = false
  /** Stopped by the server's final decision: waking up (network back, app shown) does not restart it. */
  let final = false
  let attempts = 0
  let authFailures = 0
  /** Ask `url()`/`login()` for a fresh token on the next login. */
  let refresh = false
  let onlineSince = 0
  let lastReceived = 0
  /** Why the loop stopped (gave up, final decision), while it stays stopped. */
  let stopped: Error | undefined

  /** Leaves the current state (and its timer) for `next`, whose timer runs `onTimer` after `delay` ms. */
  function enter(next: State, error?: Error, delay?: number, onTimer?: () => void) {
    clearTimeout(timer)
    timer = onTimer && setTimeout(onTimer, delay!)
    state = next
    const previous = status
    status = STATUS[next]
    if (status !== previous) {
      log(status, error || '')
      hooks.status(status, previous, error)
    }
  }

  function connect() {
    const current = ++generation
    const context = { refresh }
    enter('preparing')
    Promise.resolve()
      .then(() => Promise.all([url(context), login && login(context)]))
      .then(
        ([address, payload]) => {
          if (current !== generation) return
          if (login && payload == null) {
            log('not logged in')
            // Reading the login state is local and cheap; connectionLoop() skips the wait after a login.
            return reconnect ? enter('waiting-login', undefined, reconnect.maxDelay, connect) : stop()
          }
          open(current, String(address), payload)
        },
        (error) => current === generation && drop(1006, 'connect failed', error),
      )
  }

  function open(current: number, address: string, payload: unknown) {
    // The query string often carries a token (`?token=...`): never log it.
    log('connect', address.split('?')[0])
    enter('opening', undefined, connectTimeout, () => drop(4000, 'open timeout'))
    let opened: Connection | undefined
    try {
      opened = adapter.connect(
        address,
        {
          open() {
            // A socket we gave up on opened after all: close it, or it holds one of the runtime's
            // few socket slots (WeChat allows 5).
            if (current !== generation) return closeQuietly(opened, 1000, '')
            if (login) authenticate(current, payload, false)
            else goOnline()
          },
          message: (data) => current === generation && receive(data),
          close: (code, reason) => current === generation && drop(code || 1006, reason || '', undefined, true),
          error: (message) => current === generation && drop(1006, message),
        },
        options.connectOptions,
      )
    } catch (error) {
      return drop(1006, 'connect failed', error)
    }
    // The runtime failed it before connect() returned: close it, or it may hold a socket slot.
    if (current !== generation) return closeQuietly(opened, 1000, '')
    socket = opened
  }

  function authenticate(current: number, payload: unknown, refreshed: boolean) {
    enter('authenticating')
    // A protocol with a one-way login (no reply) is online once the login is written.
    const loggedIn = protocol.encodeLogin
      ? Promise.resolve().then(() => write(protocol.encodeLogin!(payload)))
      : hooks.request('login', payload, requestTimeout)
    loggedIn.then(
      () => current === generation && goOnline(),
      (error: Error) => {
        // A ClosedError means the socket is already gone and a retry is scheduled.
        if (current !== generation || error instanceof ClosedError) return
        const failure = error instanceof ServerError && protocol.authFailure && protocol.authFailure(error.code, error.body)
        if (failure) refresh = true
        if (failure === 'expired' && !refreshed) {
          // An expired token is normal life, not a failure: a fresh one, on the same socket, now.
          return Promise.resolve({ refresh })
            .then(login)
            .then(
              (fresh) => current === generation && authenticate(current, fresh, true),
              (cause) => current === generation && drop(4001, 'login failed', cause),
            )
        }
        if (failure && ++authFailures >= authAttempts) return stop(new AuthError(4403, 'login refused', error))
        drop(4001, 'login failed', error)
      },
    )
  }

  function goOnline() {
    // A login the server accepted proves the token; without one, only time does (see `drop`).
    if (login) healthy(false)
    onlineSince = lastReceived = Date.now()
    enter('online')
    watchSilence()
    hooks.online()
  }

  /** In `online`: checks the connection once it has been silent for `interval`. */
  function watchSilence() {
    if (!heartbeat) return
    const silent = Date.now() - lastReceived
    if (silent < heartbeat.interval) enter('online', undefined, heartbeat.interval - silent, watchSilence)
    else ping()
  }

  function ping() {
    if (!heartbeat) return
    const current = generation
    enter('awaiting-pong', undefined, heartbeat.timeout, () => drop(4002, 'ping timeout'))
    if (heartbeat.ping === 'send' && protocol.encodePing) write(protocol.encodePing())
    else if (heartbeat.ping === 'request') {
      hooks.request('ping', undefined, heartbeat.timeout).then(undefined, (error: Error) => {
        // An error reply means the server no longer knows this socket's user (it restarted, or
        // dropped the binding): a new connection logs in again from a clean state. A timeout is
        // the state's timer's business: any other frame proves the connection alive too.
        if (current === generation && error instanceof ServerError && login) drop(4003, 'login lost', error)
      })
    }
  }

  function receive(data: unknown) {
    lastReceived = Date.now()
    if (state === 'awaiting-pong') {
      enter('online')
      watchSilence()
    }
    let message: Incoming | undefined
    try {
      message = protocol.decode(data as Frame)
    } catch {
      // A throwing decoder is treated like a frame it could not read.
    }
    if (!message) return log('ignored', data)
    if (message.kind === 'close') return drop(message.code, message.reason, undefined, true)
    if (message.kind !== 'ping') return hooks.message(message)
    // A ping id that cannot be encoded (a hostile frame) costs that frame, not the connection.
    try {
      write(protocol.encodePong(message.id))
    } catch (error) {
      log('ignored', error)
    }
  }

  /**
   * Writes to the current socket; `false` when there is none or the write failed (which drops the
   * connection). A view goes out as exactly its bytes: some runtimes send the whole buffer behind it.
   */
  function write(frame: OutgoingFrame): boolean {
    if (!socket) return false
    try {
      socket.send(ArrayBuffer.isView(frame) ? frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer : frame)
      return true
    } catch (error) {
      drop(1006, 'send failed', error)
      return false
    }
  }

  /** Closes a socket we are done with, with 1000 or our own 4xxx code: the ones every runtime accepts. */
  function closeQuietly(closing: Connection | undefined, code: number, reason: string) {
    try {
      if (closing) closing.close(code < 4000 ? 1000 : code, reason)
    } catch (error) {
      log('close', error)
    }
  }

  /** Gives up the current socket (if any) and fails what it carried. */
  function teardown(code: number, reason: string, cause: unknown, stopping: boolean): ClosedError {
    generation++
    onlineSince = 0
    const closing = socket
    socket = undefined
    closeQuietly(closing, code, reason)
    const error = new ClosedError(code, reason, cause)
    hooks.dropped(error, stopping)
    return error
  }

  /**
   * The socket is gone or given up. `byServer`: the server chose `code` (its close frame, or the
   * close code a runtime reported), so it may be a final decision or an expired token.
   */
  function drop(code: number, reason: string, cause?: unknown, byServer?: boolean) {
    if (byServer && options.finalClose(code, reason)) {
      const error = code === 4409 ? new KickedError(code, reason) : code === 4403 ? new AuthError(code, reason) : new FinalError(code, reason)
      return stop(error)
    }
    // Only a connection that stayed online a while resets the backoff (see `stableAfter`).
    if (reconnect && onlineSince && Date.now() - onlineSince >= reconnect.stableAfter) healthy(true)
    const error = teardown(code, reason, cause, false)
    if (!running) return enter('stopped', error)
    // A token in the URL that expired: a fresh one at once, once, not counted as a failed attempt.
    if (byServer && code === 4419 && !refresh) {
      refresh = true
      return connect()
    }
    if (byServer && code === 4419 && ++authFailures >= authAttempts) return stop(new AuthError(code, reason, error))
    if (!reconnect || attempts >= reconnect.maxRetries) return stop(new OfflineError('reconnect gave up'), error)
    const delay = reconnectDelay(attempts++, reconnect)
    log('retry', delay)
    enter('backoff', error, delay, connect)
  }

  /** The server accepted the token (and with `proven`, the connection held): failures start over. */
  function healthy(proven: boolean) {
    authFailures = 0
    refresh = false
    if (proven) attempts = 0
  }

  /**
   * Stops the loop: gave up, or the server's final decision. Everything waiting fails with `error`;
   * status listeners hear `reported` (the close that made the client give up).
   */
  function stop(error?: Error, reported = error) {
    stopped = error
    final = error instanceof FinalError
    running = false
    // Written requests fail with ClosedError as in any drop; queued ones and ready() with the reason.
    const closed = teardown(final ? (error as FinalError).code : 1000, error ? error.message : 'stopped', error, false)
    log('stopped', error || '')
    hooks.dropped(error || closed, true)
    enter('stopped', reported)
  }

  function restart() {
    running = true
    final = false
    stopped = undefined
  }

  /** Not connected and not on the way: waiting to retry, for a login, or stopped. */
  const resting = () => state === 'stopped' || state === 'backoff' || state === 'waiting-login'

  return {
    get status() {
      return status
    },
    /** `connectionLoop()`: starts, or skips the wait when resting. */
    /** Why the loop stopped by itself (gave up, final decision), while it stays stopped. */
    get stopped() {
      return stopped
    },
    start() {
      restart()
      if (resting()) connect()
    },
    /** Drops the current socket, if any, and connects now. */
    reconnect() {
      restart()
      if (!resting()) teardown(4004, 'reconnect', undefined, false)
      connect()
    },
    /**
     * The network came back or changed, or the app was shown: try now when resting; when online,
     * replace a socket silent past every limit at once (timers stop in the background and a
     * network switch kills sockets unseen), or check a quieter one now instead of at the next beat.
     */
    wake() {
      if (resting()) {
        if (final) return
        restart()
        connect()
      } else if (state === 'online' && heartbeat) {
        if (Date.now() - lastReceived < heartbeat.interval + heartbeat.timeout) return ping()
        teardown(4002, 'silent too long', undefined, false)
        connect()
      }
    },
    write,
    /** `close()`: stops for good. */
    close() {
      running = false
      teardown(1000, 'closed by client', undefined, true)
      enter('closed')
    },
  }
}

export type ConnectionMachine = ReturnType<typeof createConnection>
