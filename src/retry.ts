import { reconnectDelay } from './backoff'
import { By, CloseCode } from './close-codes'
import { AuthError, FinalError, KickedError, OfflineError, type ClosedError } from './errors'
import type { ResolvedOptions } from './options'

/**
 * The retry decision after a socket ended: a delay in ms before the next attempt (`0`: at once,
 * not counted), or the error the client stops with (a final close, too many refused logins, or
 * reconnecting gave up). It also keeps the counts that decision needs: attempts in a row, logins
 * refused in a row, and whether the next connect must ask for a fresh token (`refresh`).
 * No socket, no timer: see test/unit/retry.test.ts.
 * @internal
 */
export function createRetry(options: Pick<ResolvedOptions, 'finalClose' | 'authAttempts' | 'reconnect'>, random?: () => number) {
  const { finalClose, authAttempts, reconnect } = options
  let attempts = 0
  let authFailures = 0

  /** One more refused login: `true` once `authAttempts` are used up. */
  const refusedTooOften = () => ++authFailures >= authAttempts

  const retry = {
    /** Ask `url()`/`login()` for a fresh token: the server said the last one expired or refused it. */
    refresh: false,
    /** The server accepted a login: the token is good, refusals start over. */
    accepted() {
      authFailures = 0
      retry.refresh = false
    },
    /**
     * After an attempt ended with `code` and `reason`, chosen `by`, having been online for
     * `onlineFor` ms (0: never); `error` is what the requests it carried reject with, `refused` a
     * login the server refused. `suspended`: the app is in the background past the runtime's grace
     * period: `Infinity` (wait until it is shown), counting nothing, unless the server's close is final.
     * `served`: it answered one of the app's requests (not a login or ping).
     */
    after(code: number, reason: string, by: By, onlineFor: number, error: ClosedError, refused?: boolean, suspended?: boolean, served?: boolean): number | Error {
      if (by === By.Server && finalClose(code, reason)) {
        return new (code === CloseCode.Kicked ? KickedError : code === CloseCode.Refused ? AuthError : FinalError)(code, reason)
      }
      if (suspended) return Infinity
      // Only a connection that stayed online a while, or answered the app, resets the backoff (see
      // `stableAfter`): on a network that drops every few seconds, a connection that carried
      // requests is not a failed attempt, and a backoff grown to `maxDelay` would time them out.
      if (reconnect && (served || onlineFor >= reconnect.stableAfter)) {
        retry.accepted()
        attempts = 0
      }
      if (code === CloseCode.LoginFailed) {
        retry.refresh = !!refused
        if (refused && refusedTooOften()) return new AuthError(CloseCode.Refused, 'login refused', error.cause)
      }
      // An expired token is normal life: a fresh one, at once, once, not counted as a failed
      // attempt. Expired again counts as refused.
      if (by === By.Server && (code === CloseCode.ServerTokenExpired || code === CloseCode.TokenExpired)) {
        if (!retry.refresh) {
          retry.refresh = true
          return 0
        }
        if (refusedTooOften()) return new AuthError(code, reason, error)
      }
      if (by === By.Replacement) return 0
      if (!reconnect || attempts >= reconnect.maxRetries) return new OfflineError('reconnect gave up')
      return reconnectDelay(attempts++, reconnect, random)
    },
  }
  return retry
}

/** @internal */
export type Retry = ReturnType<typeof createRetry>
