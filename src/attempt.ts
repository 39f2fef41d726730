import { By, CloseCode } from './close-codes'
import { ClosedError, ServerError } from './errors'
import { createHeartbeat } from './heartbeat'
import type { Frame, Incoming, OutgoingFrame, Protocol } from './protocol'
import type { Adapter } from './adapters/types'
import type { ResolvedOptions } from './options'
import type { Retry } from './retry'
import type { Attempt, ConnectionHooks, Machine } from './states'

/**
 * The work of an attempt, for the machine that runs it: read `url()` and `login()`, open the
 * socket within `connectTimeout`, log in, read frames, write them, keep the socket checked while
 * online (heartbeat.ts). Every state change goes through `machine.enter_`, every end through
 * `machine.end_`; a callback of an attempt that is no longer `machine.attempt_` does nothing.
 * @internal
 */
export function createAttempts(machine: Machine, options: ResolvedOptions, adapter: Adapter, hooks: ConnectionHooks, retry: Retry) {
  const { enter_: enter, end_: end } = machine
  const { url, login, protocol, requestTimeout, connectTimeout, log } = options
  const heartbeat = createHeartbeat(machine, options, hooks, write)
  const isCurrent = (attempt: Attempt) => machine.attempt_ === attempt

  function start(): Attempt {
    const attempt: Attempt = { online_: 0, heard_: 0 }
    const context = { refresh: retry.refresh }
    enter('connecting', undefined, connectTimeout, () => end(attempt, CloseCode.ConnectTimeout, 'connect timeout'))
    // Inside a promise: a url() or login() that throws fails this attempt, not the caller.
    Promise.resolve(context)
      .then(() => Promise.all([url(context), login && login(context)]))
      .then(
        ([address, payload]) => {
          if (!isCurrent(attempt)) return
          // Reading the login state is local and cheap; connectionLoop() skips the wait after a login.
          if (login && payload == null) machine.loggedOut_()
          else open(attempt, String(address), payload)
        },
        (error) => end(attempt, CloseCode.Abnormal, 'connect failed', error),
      )
    return attempt
  }

  function open(attempt: Attempt, address: string, payload: unknown) {
    // The query string often carries a token (`?token=...`): never log it.
    log('connect', address.split('?')[0])
    try {
      attempt.socket_ = adapter.connect(
        address,
        {
          open() {
            // A socket we gave up on opened after all: close it, or it holds one of the runtime's
            // few socket slots (WeChat allows 5).
            if (!isCurrent(attempt)) closeQuietly(attempt, CloseCode.Normal, '')
            else if (login) authenticate(attempt, payload)
            else online(attempt)
          },
          message: (data) => isCurrent(attempt) && receive(attempt, data),
          close: (code, reason) => end(attempt, code || CloseCode.Abnormal, reason || '', undefined, By.Server),
          error: (message) => end(attempt, CloseCode.Abnormal, message),
        },
        options.connectOptions,
      )
    } catch (error) {
      return end(attempt, CloseCode.Abnormal, 'connect failed', error)
    }
    // The runtime failed it before connect() returned: close it, or it may hold a socket slot.
    if (!isCurrent(attempt)) closeQuietly(attempt, CloseCode.Normal, '')
  }

  function authenticate(attempt: Attempt, payload: unknown) {
    enter('authenticating')
    // A protocol with a one-way login (no reply) is online once the login is written.
    const loggedIn = protocol.encodeLogin
      ? Promise.resolve().then(() => write(protocol.encodeLogin!(payload)))
      : hooks.request('login', payload, requestTimeout)
    loggedIn.then(
      (reply) => isCurrent(attempt) && online(attempt, reply),
      (error: Error) => {
        // A ClosedError means the socket already ended, and `end` decided what comes next.
        if (error instanceof ClosedError) return
        const failure = error instanceof ServerError && protocol.authFailure && protocol.authFailure(error.code, error.body)
        if (failure === 'expired') end(attempt, CloseCode.TokenExpired, 'token expired', error, By.Server)
        else end(attempt, CloseCode.LoginFailed, 'login failed', error, By.Client, !!failure)
      },
    )
  }

  /** Logged in (`reply`: the login reply's body), or open without a login. */
  function online(attempt: Attempt, reply?: unknown) {
    // A login the server accepted proves the token; without one, only time does (see `stableAfter`).
    if (login) retry.accepted()
    attempt.online_ = attempt.heard_ = Date.now()
    heartbeat.watch(attempt)
    hooks.online(reply)
  }

  function receive(attempt: Attempt, data: unknown) {
    attempt.heard_ = Date.now()
    if (machine.state_ === 'awaiting-pong') heartbeat.watch(attempt)
    const message = decode(protocol, data as Frame)
    if (!message) return log('ignored', data)
    if (message.kind === 'close') return end(attempt, message.code, message.reason, undefined, By.Server)
    if (message.kind !== 'ping') {
      if (hooks.message(message)) attempt.served_ = true
      return
    }
    // A ping id that cannot be encoded (a hostile frame) costs that frame, not the connection.
    try {
      write(protocol.encodePong(message.id))
    } catch (error) {
      log('ignored', error)
    }
  }

  /**
   * Writes to the current attempt's socket; `false` when there is none or the write failed (which
   * ends it). A view goes out as exactly its bytes: some runtimes send the whole buffer behind it.
   */
  function write(frame: OutgoingFrame): boolean {
    const attempt = machine.attempt_
    const socket = attempt && attempt.socket_
    if (!socket) return false
    try {
      socket.send(ArrayBuffer.isView(frame) ? frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer : frame)
      return true
    } catch (error) {
      end(attempt, CloseCode.Abnormal, 'send failed', error)
      return false
    }
  }

  return { start, write, ping: heartbeat.ping }
}

/** Closes an attempt's socket, with 1000 or our own 4xxx code: the ones every runtime accepts. @internal */
export function closeQuietly(attempt: Attempt | undefined, code: number, reason: string) {
  try {
    if (attempt && attempt.socket_) attempt.socket_.close(code < 4000 ? CloseCode.Normal : code, reason)
  } catch {
    // Already closing, or a runtime that refuses: the socket is given up either way.
  }
}

/** The decoded frame; a decoder that throws is treated like one that could not read it. */
function decode(protocol: Protocol, frame: Frame): Incoming | undefined {
  try {
    return protocol.decode(frame)
  } catch {
    return undefined
  }
}
