import { TimeoutError, type ClosedError } from './errors'
import type { OutgoingFrame } from './protocol'

/**
 * A request from the moment it is made until it settles. Its fields end with `_`, the mark of an
 * internal record's field: the published build renames them to short names (tsup.config.ts).
 * @internal
 */
export interface Pending {
  readonly id_: string
  /** Its number among the client's requests (the counter its id ends with): its key in the pool. */
  readonly n_: number
  readonly event_: string
  /**
   * The encoded frame while it may be written: `undefined` once written (unless it may be written
   * again), and for a one-way message until it is written (see `data`).
   */
  frame_: OutgoingFrame | undefined
  /** A one-way message's data, encoded when written: to a deduplicating server, as a request. */
  data_?: unknown
  /** `false` for one-way messages: done once written, or once acknowledged by a deduplicating server. */
  readonly expectsReply_: boolean
  /** The connection's own (login, heartbeat): its reply says nothing of the server serving the app. */
  readonly direct_: boolean
  /** May be written again, with the same id, after its socket died (`retry`, and the server deduplicates). */
  readonly retry_: boolean
  /** When it was first written (0: not yet): a resend stays within the server's window from then. */
  written_: number
  /** The server's `dedupeScope` when it was first written: resent only within the same. */
  scope_?: unknown
  /** Why its socket ended, while it waits to be written again on the next connection. */
  dropped_?: ClosedError
  /** Its limit in ms, and the `Date.now()` past which it times out. */
  readonly timeout_: number
  deadline_: number
  /** Written to a socket; `false` while it waits in the queue. */
  sent_: boolean
  resolve_(body: unknown): void
  reject_(error: Error): void
}

/**
 * Every request that has not settled, sent or queued, oldest first. A request is settled only by
 * whoever `take`s it out, so a second reply, a late timeout or a close find nothing to settle.
 *
 * One timer serves the whole pool, set for the earliest deadline: a timer per request cost an
 * allocation and two timer-list operations on every request (the hot path at 64 in flight).
 *
 * The requests are kept in a null-prototype object, not a `Map`: a `Map` that has an entry added
 * and one deleted for every request rebuilds its table every few dozen requests, and V8 links each
 * old table to its successor. Once one old table was moved out of the young generation, that chain
 * kept every later table, and every request they held, alive through each minor GC until the next
 * full one: at 64 requests in flight that made each minor GC four times longer (about 5 ms
 * instead of 1.3 ms, with 730 KB instead of 57 KB promoted), which was mp-socket's whole p99 tail
 * (see docs/benchmarks.md). They are keyed by number, not by id: an integer key is an element of
 * the object, where a string key was interned in V8's string table on every insert (about 1 µs a
 * request). Numbers grow with each request, so `for...in`, which lists integer keys in ascending
 * order on every ES2015 runtime, lists them oldest first.
 * @internal
 */
export function createPool() {
  const requests: Record<number, Pending> = Object.create(null)
  let size = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  /** When `timer` fires; `Infinity` while there is none. */
  let due = Infinity

  function arm(deadline: number, now: number) {
    clearTimeout(timer)
    due = deadline
    // setTimeout fires at once past 2^31-1 ms: such a deadline is swept again later instead.
    timer = setTimeout(sweep, Math.min(deadline - now, 2147483647))
  }

  function sweep() {
    timer = undefined
    due = Infinity
    const now = Date.now()
    let next = Infinity
    for (const request of list()) {
      if (request.deadline_ <= now) {
        take(request)
        request.reject_(new TimeoutError(request.event_, request.timeout_))
      } else if (request.deadline_ < next) next = request.deadline_
    }
    if (next < Infinity) arm(next, now)
  }

  /** Takes `request` out: `true` once, while it is in the pool; whoever gets it settles it. */
  function take(request: Pending): boolean {
    if (requests[request.n_] !== request) return false
    delete requests[request.n_]
    // An empty pool holds no timer (so close() leaves none); otherwise a timer that finds
    // nothing due just sets itself for the next deadline.
    if (!--size) {
      clearTimeout(timer)
      timer = undefined
      due = Infinity
    }
    return true
  }

  /** A snapshot of the waiting requests, oldest first. */
  function list() {
    const all: Pending[] = []
    for (const id in requests) all.push(requests[id])
    return all
  }

  return {
    take,
    /** The request numbered `n`, if it waits. */
    get: (n: number): Pending | undefined => requests[n],
    /** Adds a request that rejects with `TimeoutError` unless taken out before its deadline. */
    add(request: Pending) {
      requests[request.n_] = request
      size++
      const now = Date.now()
      request.deadline_ = now + request.timeout_
      if (request.deadline_ < due) arm(request.deadline_, now)
    },
    list,
  }
}
