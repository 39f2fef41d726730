import { TimeoutError } from './errors'
import type { OutgoingFrame } from './protocol'

/** A request from the moment it is made until it settles. @internal */
export interface Pending {
  readonly id: string
  readonly event: string
  /** The encoded frame while it waits to be written; `undefined` once written. */
  frame: OutgoingFrame | undefined
  /** `false` for one-way messages: done as soon as they are written. */
  readonly expectsReply: boolean
  /** Its limit in ms, and the `Date.now()` past which it times out. */
  readonly timeout: number
  deadline: number
  /** Written to a socket; `false` while it waits in the queue. */
  sent: boolean
  resolve(body: unknown): void
  reject(error: Error): void
}

/**
 * Every request that has not settled, sent or queued, oldest first. A request is settled only by
 * whoever `take`s it out, so a second reply, a late timeout or a close find nothing to settle.
 *
 * One timer serves the whole pool, set for the earliest deadline: a timer per request cost an
 * allocation and two timer-list operations on every request (the hot path at 64 in flight).
 * @internal
 */
export function createPool() {
  const requests = new Map<string, Pending>()
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
    for (const request of requests.values()) {
      if (request.deadline <= now) {
        requests.delete(request.id)
        request.reject(new TimeoutError(request.event, request.timeout))
      } else if (request.deadline < next) next = request.deadline
    }
    if (next < Infinity) arm(next, now)
  }

  return {
    take(id: string): Pending | undefined {
      const request = requests.get(id)
      if (request) {
        requests.delete(id)
        // An empty pool holds no timer (so close() leaves none); otherwise a timer that finds
        // nothing due just sets itself for the next deadline.
        if (!requests.size) {
          clearTimeout(timer)
          timer = undefined
          due = Infinity
        }
      }
      return request
    },
    /** Adds a request that rejects with `TimeoutError` unless taken out before its deadline. */
    add(request: Pending) {
      requests.set(request.id, request)
      const now = Date.now()
      request.deadline = now + request.timeout
      if (request.deadline < due) arm(request.deadline, now)
    },
    /** A snapshot of the waiting requests, oldest first. */
    list: () => [...requests.values()],
  }
}
