import type { Adapter } from './adapters/types'
import { closeQuietly, createAttempts } from './attempt'
import { By, CloseCode } from './close-codes'
import { ClosedError, FinalError, OfflineError } from './errors'
import { isSuspended } from './lifecycle'
import { liveness, PING } from './liveness'
import type { ResolvedOptions } from './options'
import type { OutgoingFrame } from './protocol'
import { createRetry } from './retry'
import { RESTING, statusOf, TRANSITIONS, type Attempt, type ConnectionHooks, type State } from './states'

/**
 * The connection's state machine: one attempt at a time (attempt.ts does its socket's work),
 * `enter` the only place the state changes, `end` the only way an attempt ends. What comes after
 * an end is the retry policy's decision (retry.ts); docs/architecture.md draws the states.
 * @internal
 */
export function createConnection(options: ResolvedOptions, adapter: Adapter, hooks: ConnectionHooks) {
  const { heartbeat, reconnect, log } = options
  const retry = createRetry(options)
  let state: State = 'stopped'
  let timer: ReturnType<typeof setTimeout> | undefined
  let attempt: Attempt | undefined
  /** Why the loop stopped by itself (gave up, final decision), while it stays stopped. */
  let stopped: Error | undefined
  /** When the app went to the background (0: shown, or the `background` option keeps it going). */
  let hiddenAt = 0

  function enter(next: State, error?: Error, delay?: number, onTimer?: () => void) {
    if (__DEV__) {
      if (TRANSITIONS[state].indexOf(next) < 0) throw new Error(`illegal transition ${state} -> ${next}`)
      if (hooks.entered) hooks.entered(next)
    }
    clearTimeout(timer)
    timer = onTimer && setTimeout(onTimer, delay!)
    const previous = statusOf(state)
    const status = statusOf((connection.state_ = state = next))
    if (status !== previous) {
      log(status, error || '')
      hooks.status(status, previous, error)
    }
  }

  const connect = () => (isSuspended(hiddenAt) ? enter('suspended') : void (connection.attempt_ = attempt = attempts.start()))

  /**
   * Every end of an attempt (`undefined` while resting: nothing to give up): fails what it carried,
   * then goes where the retry policy says. `by`: who chose `code`; `refused`: a refused login.
   */
  function end(ended: Attempt | undefined, code: number, reason: string, cause?: unknown, by = By.Client, refused?: boolean) {
    if (ended !== attempt) return
    connection.attempt_ = attempt = undefined
    closeQuietly(ended, code, reason)
    const error = new ClosedError(code, reason, cause)
    if (state === 'closed') return hooks.dropped(error, error)
    const onlineFor = ended && ended.online_ ? Date.now() - ended.online_ : 0
    // An attempt exists only while running: `close()` and the stops below end the last one.
    const next = retry.after(code, reason, by, onlineFor, error, refused, isSuspended(hiddenAt), ended && ended.served_)
    if (next instanceof Error) {
      stopped = next
      hooks.dropped(error, next)
      // Status listeners hear the close that made the client give up, or the server's decision.
      return enter('stopped', next instanceof OfflineError ? error : next)
    }
    hooks.dropped(error)
    if (next === 0) return connect()
    if (next === Infinity) return enter('suspended', error)
    log('retry', next)
    enter('backoff', error, next, connect)
  }

  /** `connectionLoop()`, `reconnect()`, a wake-up: running again, whatever stopped it. */
  function restart() {
    stopped = undefined
    connect()
  }

  /** Starts, or skips the wait, when resting (never after `close()`). */
  const start = () => RESTING[state] && restart()

  /** `login()` returned nothing: wait for one (`connectionLoop()` skips the wait). */
  function loggedOut() {
    if (!reconnect) return end(attempt, CloseCode.Normal, 'nobody logged in')
    connection.attempt_ = attempt = undefined
    enter('waiting-login', undefined, reconnect.maxDelay, connect)
  }

  // What the client calls (`visible_`: the app shown or hidden), and what its attempts see of it.
  // Internal, like an attempt's fields: the names end with `_`, shortened in the published build.
  const connection = {
    get status_() {
      return statusOf(state)
    },
    get stopped_() {
      return stopped
    },
    // The state and the attempt, for the attempts, which read both on every frame: plain fields,
    // written together with `state` and `attempt` (in `enter`, `connect`, `end`, `loggedOut`), not
    // getters: a getter of an object literal is a slow load in V8 (a call through the generic
    // inline cache), which cost a process holding 2,500 clients 3 % of its CPU per push.
    state_: state as State,
    attempt_: attempt,
    enter_: enter,
    end_: end,
    loggedOut_: loggedOut,
    start_: start,
    /** Drops the current socket, if any, and connects now. */
    reconnect_() {
      if (attempt) end(attempt, CloseCode.Reconnect, 'reconnect', undefined, By.Replacement)
      else start()
    },
    /** The network came back or changed, or the app was shown: try now, or check the socket now. */
    wake_() {
      // Resting: try now, unless the server stopped the client for good.
      if (RESTING[state]) return stopped instanceof FinalError ? undefined : restart()
      if (state === 'online' && heartbeat && attempt) {
        if (liveness(Date.now() - attempt.heard_, heartbeat, true) === PING) attempts.ping(attempt)
        else end(attempt, CloseCode.Silent, 'silent too long', undefined, By.Replacement)
      }
    },
    write_: (frame: OutgoingFrame) => attempts.write(frame),
    visible_: (shown: boolean) => void (hiddenAt = shown || options.background ? 0 : Date.now()),
    /** `close()`: stops for good. */
    close_() {
      if (state === 'closed') return
      enter('closed')
      end(attempt, CloseCode.Normal, 'closed by client')
    },
  }
  const attempts = createAttempts(connection, options, adapter, hooks, retry)
  return connection
}
