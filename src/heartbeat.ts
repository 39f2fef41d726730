import { CloseCode } from './close-codes'
import { ServerError } from './errors'
import { liveness, PING } from './liveness'
import type { OutgoingFrame } from './protocol'
import type { ResolvedOptions } from './options'
import type { Attempt, ConnectionHooks, Machine } from './states'

/**
 * Liveness while online: `online` with a timer that looks again once the socket has been silent
 * for `interval`, then `awaiting-pong` with a ping out, until any frame or `timeout`.
 * @internal
 */
export function createHeartbeat(
  { enter_: enter, end_: end }: Machine,
  { heartbeat, protocol, login }: ResolvedOptions,
  hooks: ConnectionHooks,
  write: (frame: OutgoingFrame) => boolean,
) {

  function watch(attempt: Attempt) {
    if (!heartbeat) return enter('online')
    const wait = liveness(Date.now() - attempt.heard_, heartbeat)
    if (wait === PING) ping(attempt)
    else enter('online', undefined, wait, () => watch(attempt))
  }

  function ping(attempt: Attempt) {
    if (!heartbeat) return
    enter('awaiting-pong', undefined, heartbeat.timeout, () => end(attempt, CloseCode.Silent, 'ping timeout'))
    if (heartbeat.ping === 'send' && protocol.encodePing) write(protocol.encodePing())
    else if (heartbeat.ping === 'request') {
      hooks.request('ping', undefined, heartbeat.timeout).then(undefined, (error: Error) => {
        // An error reply means the server no longer knows this socket's user (it restarted, or
        // dropped the binding): a new connection logs in again from a clean state. A timeout is
        // the state's timer's business: any other frame proves the connection alive too.
        if (error instanceof ServerError && login) end(attempt, CloseCode.LoginLost, 'login lost', error)
      })
    }
  }

  return { watch, ping }
}
