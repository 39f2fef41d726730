// The retry policy and liveness on their own (issue 16): numbers in, verdicts out; no socket, no timer.
import { describe, expect, it } from 'vitest'
import { By } from '../../src/close-codes'
import { AuthError, ClosedError, FinalError, KickedError, OfflineError, ServerError } from '../../src/errors'
import { DEAD, liveness, PING } from '../../src/liveness'
import { withSince } from '../../src/login'
import { resolveOptions, type SocketOptions } from '../../src/options'
import { createRetry } from '../../src/retry'

const retryWith = (options: Partial<SocketOptions> = {}) =>
  createRetry(resolveOptions({ url: 'x', reconnect: { minDelay: 1000, maxDelay: 8000, jitter: 0, maxRetries: 5, stableAfter: 5000 }, ...options }), () => 0)
const closed = (code: number, reason = '') => new ClosedError(code, reason)
const after = (retry: ReturnType<typeof retryWith>, code: number, by: By, onlineFor = 0, refused?: boolean) =>
  retry.after(code, '', by, onlineFor, closed(code), refused)

describe('retry policy', () => {
  it('backs off exponentially up to maxDelay, then gives up after maxRetries', () => {
    const retry = retryWith()
    const delays = [1, 2, 3, 4, 5].map(() => after(retry, 1006, By.Client))
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000])
    const gaveUp = after(retry, 1006, By.Client)
    expect(gaveUp).toBeInstanceOf(OfflineError)
    expect((gaveUp as Error).message).toBe('reconnect gave up')
  })

  it('gives up at once without reconnect', () => {
    expect(createRetry(resolveOptions({ url: 'x', reconnect: false })).after(1006, '', By.Client, 0, closed(1006))).toBeInstanceOf(OfflineError)
  })

  it('starts the backoff over only after a connection stayed online for stableAfter', () => {
    const retry = retryWith()
    after(retry, 1006, By.Client)
    after(retry, 1006, By.Client)
    expect(after(retry, 1006, By.Client, 4999)).toBe(4000)
    expect(after(retry, 1006, By.Client, 5000)).toBe(1000)
  })

  it('starts the backoff over after a connection that answered the app, however short', () => {
    const retry = retryWith()
    after(retry, 1006, By.Client)
    after(retry, 1006, By.Client)
    expect(retry.after(1006, '', By.Client, 10, closed(1006), false, false, false)).toBe(4000)
    expect(retry.after(1006, '', By.Client, 10, closed(1006), false, false, true)).toBe(1000)
    // Not while suspended: nothing is counted or reset there.
    expect(retry.after(1006, '', By.Client, 10, closed(1006), false, true, true)).toBe(Infinity)
  })

  it('turns the server’s final closes into their errors, and never a client’s', () => {
    const retry = retryWith()
    expect(after(retry, 4409, By.Server)).toBeInstanceOf(KickedError)
    expect(after(retry, 4403, By.Server)).toBeInstanceOf(AuthError)
    const final = after(retry, 4426, By.Server)
    expect(final).toBeInstanceOf(FinalError)
    expect(final).not.toBeInstanceOf(KickedError)
    expect(after(retry, 4409, By.Client)).toBe(1000)
    const custom = createRetry(resolveOptions({ url: 'x', finalClose: (code, reason) => reason === 'bye' }))
    expect(custom.after(4000, 'bye', By.Server, 0, closed(4000))).toBeInstanceOf(FinalError)
    expect(custom.after(4409, '', By.Server, 0, closed(4409))).not.toBeInstanceOf(Error)
  })

  it('an expired token: a fresh one at once, once; expired again counts as refused', () => {
    const retry = retryWith({ authAttempts: 2 })
    expect(after(retry, 4419, By.Server)).toBe(0)
    expect(retry.refresh).toBe(true)
    expect(after(retry, 4019, By.Server)).toBe(1000)
    const refused = after(retry, 4419, By.Server)
    expect(refused).toBeInstanceOf(AuthError)
    expect((refused as AuthError).code).toBe(4419)
    // A client's own 4019 is not the server's word.
    const other = retryWith()
    expect(after(other, 4019, By.Client)).toBe(1000)
    expect(other.refresh).toBe(false)
  })

  it('refused logins ask for a fresh token and stop with AuthError 4403 after authAttempts', () => {
    const retry = retryWith({ authAttempts: 3 })
    const refusal = new ServerError('login', 401, 'no')
    const end = () => retry.after(4001, 'login failed', By.Client, 0, new ClosedError(4001, 'login failed', refusal), true)
    expect(end()).toBe(1000)
    expect(retry.refresh).toBe(true)
    expect(end()).toBe(2000)
    const stop = end() as AuthError
    expect(stop).toBeInstanceOf(AuthError)
    expect(stop.code).toBe(4403)
    expect(stop.message).toContain('login refused')
    expect(stop.cause).toBe(refusal)
  })

  it('a login that failed for another reason keeps the token and does not count', () => {
    const retry = retryWith({ authAttempts: 1 })
    for (let i = 0; i < 3; i++) expect(after(retry, 4001, By.Client)).toBeGreaterThan(0)
    expect(retry.refresh).toBe(false)
  })

  it('an accepted login forgets the refusals and the fresh-token request', () => {
    const retry = retryWith({ authAttempts: 2 })
    after(retry, 4001, By.Client, 0, true)
    retry.accepted()
    expect(retry.refresh).toBe(false)
    expect(after(retry, 4001, By.Client, 0, true)).not.toBeInstanceOf(Error)
  })

  it('a replacement (reconnect(), a dead socket on wake-up) connects at once and is not counted', () => {
    const retry = retryWith()
    for (let i = 0; i < 10; i++) expect(after(retry, 4004, By.Replacement)).toBe(0)
    expect(after(retry, 1006, By.Client)).toBe(1000)
  })
})

describe('liveness', () => {
  const heartbeat = { interval: 30_000, timeout: 10_000 }
  it('waits out the interval, then pings', () => {
    expect(liveness(0, heartbeat)).toBe(30_000)
    expect(liveness(29_999, heartbeat)).toBe(1)
    expect(liveness(30_000, heartbeat)).toBe(PING)
    expect(liveness(100_000, heartbeat)).toBe(PING)
  })
  it('on a wake-up, pings a socket heard within interval + timeout and gives up one silent longer', () => {
    expect(liveness(0, heartbeat, true)).toBe(PING)
    expect(liveness(39_999, heartbeat, true)).toBe(PING)
    expect(liveness(40_000, heartbeat, true)).toBe(DEAD)
    // Neither verdict can be read as a wait: a wait is a positive number of ms.
    expect(DEAD).toBeLessThan(0)
    expect(PING).toBeLessThanOrEqual(0)
  })
})

describe('the login payload', () => {
  it('carries the last position handled beside the user’s payload, without changing it', () => {
    const payload = { u: 'user:6', token: 't' }
    expect(withSince(payload, { epoch: 'E', offset: 3 })).toEqual({ u: 'user:6', token: 't', since: { epoch: 'E', offset: 3 } })
    expect(withSince(payload, null)).toEqual({ u: 'user:6', token: 't', since: null })
    expect(payload).toEqual({ u: 'user:6', token: 't' })
    expect(withSince('token-string', null)).toBe('token-string')
  })
})
