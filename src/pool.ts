import { TimeoutError } from './errors'
import type { Frame } from './protocol'

/** A request from the moment it is made until it settles. @internal */
export interface Pending {
  readonly id: string
  readonly event: string
  readonly frame: Frame
  /** `false` for one-way messages: done as soon as they are written. */
  readonly expectsReply: boolean
  /** Written to a socket; `false` while it waits in the queue. */
  sent: boolean
  resolve(body: unknown): void
  reject(error: Error): void
  timer?: unknown
}

// setTimeout fires at once for delays past 2^31-1 ms: such requests wait without a timer.
const LONGEST_TIMER = 2147483647

/**
 * Every request that has not settled, sent or queued, oldest first. A request is settled only by
 * whoever `take`s it out, so a second reply, a late timeout or a close find nothing to settle.
 * @internal
 */
export function createPool() {
  const requests = new Map<string, Pending>()

  function take(id: string): Pending | undefined {
    const request = requests.get(id)
    if (request) {
      requests.delete(id)
      clearTimeout(request.timer)
    }
    return request
  }

  return {
    take,
    /** Adds a request that rejects with `TimeoutError` unless taken out within `timeout` ms. */
    add(request: Pending, timeout: number) {
      requests.set(request.id, request)
      if (timeout <= LONGEST_TIMER) {
        request.timer = setTimeout(() => {
          if (take(request.id)) request.reject(new TimeoutError(request.event, timeout))
        }, timeout)
      }
    },
    /** A snapshot of the waiting requests, oldest first. */
    list: () => [...requests.values()],
  }
}
