import type { Adapter, Connection } from './adapters/types'
import { reconnectDelay } from './backoff'
import { AuthError, ClosedError, FinalError, KickedError, OfflineError, ServerError } from './errors'
import type { ResolvedOptions } from './options'
import type { Frame, Incoming, OutgoingFrame } from './protocol'
import type { Status } from './types'

/**
 * Where the connection is: richer than the public {@link Status}, which `statusOf` maps it to.
 * Each state owns at most one timer, set on entry and cleared on leaving (see `enter`).
 * - `stopped`: not running: not started, gave up, or stopped by the server's final decision;
 * - `waiting-login`: `login()` returned nothing; asks again after `maxDelay`;
 * - `backoff`: waiting before the next attempt;
 * - `connecting`: reading `url()` and `login()`, then opening the socket, within `connectTimeout`;
 * - `authenticating`: open, the login is on its way;
 * - `online`: requests flow; its timer looks for silence; `awaiting-pong`: silent too long, a
 *   ping is out, and any frame brings it back to `online`;
 * - `closed`: `close()` was called; final.
 */
type State = 'stopped' | 'waiting-login' | 'backoff' | 'connecting' | 'authenticating' | 'online' | 'awaiting-pong' | 'closed'

const RESTING: Partial<Record<State, Status>> = { stopped: 'idle', 'waiting-login': 'idle', backoff: 'idle' }

/** The public status of a state. */
const statusOf = (state: State) =>
  RESTING[state] || (state === 'authenticating' ? 'open' : state === 'awaiting-pong' ? 'online' : (state as Status))

/*
 * Close codes of the client's own drops (never read as a server's decision): 4000 connect timeout,
 * 4001 login failed, 4002 ping timeout or silent too long, 4003 login lost, 4004 `reconnect()`,
 * 4019 token expired (the login reply said so).
 */

/** What the connection needs from the client around it. @internal */
export interface ConnectionHooks {
  /** A request that skips the queue (login, ping): written on the socket open now. */
  request(event: string, data: unknown, timeout: number): Promise<unknown>
  /** A decoded reply or push. */
  message(message: Incoming): void
  /** Logged in (`reply`: the login reply's body): time to write what waited in the queue. */
  online(reply: unknown): void
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
  /** Why the loop stopped by itself (gave up, final decision), while it stays stopped. */
  let stopped: Error | undefined
  let attempts = 0
  let authFailures = 0
  /** Ask `url()`/`login()` for a fresh token: the server said the last one expired or refused it. */
  let refresh = false
  let onlineSince = 0
  let lastReceived = 0

  /** Leaves the current state (and its timer) for `next`, whose timer runs `onTimer` after `delay` ms. */
  function enter(next: State, error?: Error, delay?: number, onTimer?: () => void) {
    clearTimeout(timer)
    timer = onTimer && setTimeout(onTimer, delay!)
    state = next
    const previous = status
    status = statusOf(next)
    if (status !== previous) {
      log(status, error || '')
      hooks.status(status, previous, error)
    }
  }

  function connect() {
    const current = ++generation
    const context = { refresh }
    enter('connecting', undefined, connectTimeout, () => drop(4000, 'connect timeout'))
    // Inside a promise: a url() or login() that throws fails this attempt, not the caller.
    Promise.resolve(context)
      .then(() => Promise.all([url(context), login && login(context)]))
      .then(
      ([address, payload]) => {
        if (current !== generation) return
        // Reading the login state is local and cheap; connectionLoop() skips the wait after a login.
        if (login && payload == null) return reconnect ? enter('waiting-login', undefined, reconnect.maxDelay, connect) : stop()
        open(current, String(address), payload)
      },
      (error) => current === generation && drop(1006, 'connect failed', error),
    )
  }

  function open(current: number, address: string, payload: unknown) {
    // The query string often carries a token (`?token=...`): never log it.
    log('connect', address.split('?')[0])
    let opened: Connection | undefined
    try {
      opened = adapter.connect(
        address,
        {
          open() {
            // A socket we gave up on opened after all: close it, or it holds one of the runtime's
            // few socket slots (WeChat allows 5).
            if (current !== generation) return closeQuietly(opened, 1000, '')
            if (login) authenticate(current, payload)
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

  function authenticate(current: number, payload: unknown) {
    enter('authenticating')
    // A protocol with a one-way login (no reply) is online once the login is written.
    const loggedIn = protocol.encodeLogin
      ? Promise.resolve().then(() => write(protocol.encodeLogin!(payload)))
      : hooks.request('login', payload, requestTimeout)
    loggedIn.then(
      (reply) => current === generation && goOnline(reply),
      (error: Error) => {
        // A ClosedError means the socket is already gone and a retry is scheduled.
        if (current !== generation || error instanceof ClosedError) return
        const failure = error instanceof ServerError && protocol.authFailure && protocol.authFailure(error.code, error.body)
        if (failure === 'expired') drop(4019, 'token expired', error, true)
        else if (failure && ++authFailures >= authAttempts) stop(new AuthError(4403, 'login refused', error))
        else {
          refresh = !!failure
          drop(4001, 'login failed', error)
        }
      },
    )
  }

  /** Logged in (`reply`: the login reply's body), or open without a login. */
  function goOnline(reply?: unknown) {
    // A login the server accepted proves the token; without one, only time does (see `drop`).
    if (login) healthy(false)
    onlineSince = lastReceived = Date.now()
    watchSilence()
    hooks.online(reply)
  }

  /** The token was accepted (and with `proven`, the connection held a while): failures start over. */
  function healthy(proven: boolean) {
    authFailures = 0
    refresh = false
    if (proven) attempts = 0
  }

  /** `online`, with a timer that checks the connection once it has been silent for `interval`. */
  function watchSilence() {
    const silent = Date.now() - lastReceived
    if (!heartbeat) enter('online')
    else if (silent < heartbeat.interval) enter('online', undefined, heartbeat.interval - silent, watchSilence)
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
    if (state === 'awaiting-pong') watchSilence()
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
    } catch {
      // Already closing, or a runtime that refuses: the socket is given up either way.
    }
  }

  /** Gives up the current socket (if any) and fails what it carried (with `stopping`, everything). */
  function teardown(code: number, reason: string, cause: unknown, stopping?: boolean): ClosedError {
    generation++
    onlineSince = 0
    const closing = socket
    socket = undefined
    closeQuietly(closing, code, reason)
    const error = new ClosedError(code, reason, cause)
    hooks.dropped(error, !!stopping)
    return error
  }

  /**
   * The socket is gone or given up. `byServer`: the server chose `code` (its close frame, the close
   * code a runtime reported, or a login reply saying the token expired), so it may be final.
   */
  function drop(code: number, reason: string, cause?: unknown, byServer?: boolean) {
    if (byServer && options.finalClose(code, reason)) {
      const Final = code === 4409 ? KickedError : code === 4403 ? AuthError : FinalError
      return stop(new Final(code, reason))
    }
    // Only a connection that stayed online a while resets the backoff (see `stableAfter`).
    if (reconnect && onlineSince && Date.now() - onlineSince >= reconnect.stableAfter) healthy(true)
    const error = teardown(code, reason, cause)
    if (!running) return enter('stopped', error)
    // An expired token is normal life: a fresh one (`url()`/`login()` with `refresh`), at once,
    // once, not counted as a failed attempt. Expired again counts as refused.
    if (byServer && (code === 4419 || code === 4019)) {
      if (!refresh) {
        refresh = true
        return connect()
      }
      if (++authFailures >= authAttempts) return stop(new AuthError(code, reason, error))
    }
    if (!reconnect || attempts >= reconnect.maxRetries) return stop(new OfflineError('reconnect gave up'), error)
    const delay = reconnectDelay(attempts++, reconnect)
    log('retry', delay)
    enter('backoff', error, delay, connect)
  }

  /**
   * Stops the loop: gave up, or the server's final decision. Everything waiting fails with `error`;
   * status listeners hear `reported` (the close that made the client give up).
   */
  function stop(error?: Error, reported = error) {
    running = false
    stopped = error
    const closed = teardown(error instanceof FinalError ? error.code : 1000, 'stopped', error)
    hooks.dropped(error || closed, true)
    enter('stopped', reported)
  }

  /** Not connected and not on the way: waiting to retry, for a login, or stopped. */
  const resting = () => !!RESTING[state]

  /** `connectionLoop()`, `reconnect()`, a wake-up: running again, whatever stopped it. */
  function restart() {
    running = true
    stopped = undefined
    connect()
  }

  return {
    get status() {
      return status
    },
    get stopped() {
      return stopped
    },
    /** `connectionLoop()`: starts, or skips the wait when resting. */
    start() {
      if (resting()) restart()
    },
    /** Drops the current socket, if any, and connects now. */
    reconnect() {
      if (!resting()) teardown(4004, 'reconnect', undefined)
      restart()
    },
    /**
     * The network came back or changed, or the app was shown: try now when resting (unless the
     * server stopped the client); when online, replace a socket silent past every limit at once
     * (timers stop in the background and a network switch kills sockets unseen), or check a
     * quieter one now instead of at the next beat.
     */
    wake() {
      if (resting()) {
        if (!(stopped instanceof FinalError)) restart()
      } else if (state === 'online' && heartbeat) {
        if (Date.now() - lastReceived < heartbeat.interval + heartbeat.timeout) return ping()
        teardown(4002, 'silent too long', undefined)
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
