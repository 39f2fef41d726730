import { nanoid } from 'nanoid/non-secure'
import { OfflineError, ServerError, type ClosedError } from './errors'
import type { ResolvedOptions } from './options'
import { createPool, type Pending } from './pool'
import type { Incoming, OutgoingFrame } from './protocol'
import type { Status } from './types'

/** What requests need from the connection. @internal */
export interface RequestLink {
  readonly status_: Status
  /** Why the loop stopped by itself, while it stays stopped. */
  readonly stopped_: Error | undefined
  write_(frame: OutgoingFrame): boolean
}

// One executor for every request's promise, which hands its settle functions over here: an executor
// closure per request was about 125 bytes of garbage per request on the hot path.
const captured = {} as Pick<Pending, 'resolve_' | 'reject_'>
function captureSettlers(resolve: Pending['resolve_'], reject: Pending['reject_']) {
  captured.resolve_ = resolve
  captured.reject_ = reject
}

/**
 * Requests and one-way messages from the call until they settle: made (and queued while offline),
 * written, answered, failed when their socket ends. The pool (pool.ts) keeps them and times them out.
 *
 * Request ids, 12 characters: 6 random ones (per client) and a counter, 6 digits in base 36 for the
 * first 2 billion requests (7 after that). Never reused by a client (a late reply can never settle a
 * newer request), and cheap: a random id per request cost 12 `Math.random()` numbers and 12
 * strings, most of 490 bytes of garbage per request.
 * @internal
 */
export function createRequests(options: Pick<ResolvedOptions, 'protocol' | 'queueMax' | 'log'>, link: RequestLink) {
  const { protocol, queueMax, log } = options
  const pool = createPool()
  const idPrefix = nanoid(6)
  /** `100000` in base 36. */
  let idCounter = 60466176

  /**
   * The window in ms in which the server of the current connection runs a request once however
   * often it arrives (its login reply's `dedupe`); 0: it does not, and nothing is ever resent.
   */
  let dedupe = 0
  /** What the server's remembered replies belong to (its login reply's `dedupeScope`). */
  let scope: unknown

  /**
   * Resending `request` now cannot run it twice: the server still remembers its first write (the
   * same scope, within the window). A socket closed for a frame too big (1009) is not retried.
   */
  const resendable = (request: Pending, error?: ClosedError) =>
    request.retry_ && dedupe > 0 && request.scope_ === scope && Date.now() - request.written_ < dedupe && !(error && error.code === 1009)

  function write(request: Pending) {
    // A deduplicating server acknowledges one-way messages too: they go out as requests.
    const acknowledged = request.expectsReply_ || dedupe > 0
    const { id_: id, event_: event, data_: data } = request
    const frame = request.frame_ || (acknowledged ? protocol.encodeRequest(id, event, data) : protocol.encodeSend(event, data))
    request.sent_ = true
    // Nothing reads the frame once written unless it may be written again: dropped here, it dies
    // young instead of being copied by every GC while the reply is awaited. Only a request that
    // may be resent needs to know when and under which scope it was first written.
    if (request.retry_ && dedupe > 0) {
      request.frame_ = frame
      if (!request.written_) {
        request.written_ = Date.now()
        request.scope_ = scope
      }
    } else request.frame_ = undefined
    request.data_ = undefined
    if (link.write_(frame) && !acknowledged && pool.take(request)) request.resolve_(undefined)
  }

  return {
    /**
     * Makes a request (or with `expectsReply` false a one-way message) and writes it now when online,
     * or with `direct` (login and heartbeat, which skip the queue) on the socket open now.
     */
    make(event: string, data: unknown, timeout: number, expectsReply: boolean, direct: boolean, retry = !direct): Promise<unknown> {
      // Whatever throws here (closed, a bad timeout, the queue full, data JSON cannot hold: a cycle, a
      // BigInt) rejects the returned promise, never the caller.
      try {
        if (link.status_ === 'closed') throw new OfflineError('called after close()')
        // Stopped by itself: nothing will send it until connectionLoop() or reconnect().
        if (link.stopped_ && !direct) throw link.stopped_
        if (!(timeout > 0)) throw new RangeError('timeout must be > 0')
        const online = direct || link.status_ === 'online'
        if (!online && pool.list().filter((request) => !request.sent_).length >= queueMax) {
          throw new OfflineError(queueMax ? 'queue full' : 'offline')
        }
        const n = idCounter++
        const id = idPrefix + n.toString(36)
        // A one-way message is encoded when written, once it is known whether the server acknowledges it.
        const frame = expectsReply ? protocol.encodeRequest(id, event, data) : undefined
        const promise = new Promise(captureSettlers)
        const request: Pending = { id_: id, n_: n, event_: event, frame_: frame, data_: frame ? undefined : data, expectsReply_: expectsReply, direct_: direct, retry_: retry, written_: 0, timeout_: timeout, deadline_: 0, sent_: false, resolve_: captured.resolve_, reject_: captured.reject_ }
        pool.add(request)
        if (online) write(request)
        return promise
      } catch (error) {
        return Promise.reject(error)
      }
    },
    /**
     * A reply: settles its request, once (an acknowledged one-way message, whatever the reply).
     * `true`: it answered one of the app's requests, not the connection's own (login, ping).
     */
    settle(reply: Extract<Incoming, { kind: 'reply' }>): boolean | void {
      const id = String(reply.id)
      // Its number from its id; the whole id must match (another client's prefix, junk after it).
      const request = pool.get(parseInt(id.slice(6), 36))
      if (!request || request.id_ !== id || !pool.take(request)) return log('ignored', reply)
      if (reply.ok || !request.expectsReply_) request.resolve_(request.expectsReply_ ? reply.body : undefined)
      else request.reject_(new ServerError(request.event_, reply.code, reply.body))
      return !request.direct_
    },
    /**
     * Logged in (`window`: the login reply's `dedupe`, 0 for none): writes what waited, oldest first
     * (requests to be resent before the rest), while the connection stays online.
     */
    flush(window: number, dedupeScope?: unknown) {
      dedupe = window
      scope = dedupeScope
      for (const request of pool.list()) {
        if (link.status_ !== 'online' || request.sent_) continue
        try {
          if (!request.dropped_ || resendable(request)) write(request)
          else if (pool.take(request)) request.reject_(request.dropped_)
        } catch (error) {
          // A one-way message whose data the protocol cannot encode fails alone.
          if (pool.take(request)) request.reject_(error as Error)
        }
      }
    },
    /**
     * A socket ended: what it carried fails with `error`, unless it may be resent on the next
     * connection; with `stopped`, what waits fails too (with `stopped`, or the end of its socket).
     */
    fail(error: ClosedError, stopped?: Error) {
      for (const request of pool.list()) {
        if (request.sent_ && resendable(request, error)) {
          request.sent_ = false
          request.dropped_ = error
        } else if (request.sent_ && pool.take(request)) request.reject_(error)
        if (stopped && !request.sent_ && pool.take(request)) request.reject_(request.dropped_ || stopped)
      }
    },
  }
}
