import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TimeoutError } from '../../src/errors'
import { createPool, type Pending } from '../../src/pool'

let counter = 0

function pending(id: string, timeout = 1000) {
  const request: Pending & { outcome?: unknown } = {
    id_: id,
    n_: ++counter,
    event_: 'e',
    frame_: '',
    expectsReply_: true,
    direct_: false,
    retry_: false,
    written_: 0,
    timeout_: timeout,
    deadline_: 0,
    sent_: false,
    resolve_: vi.fn((body) => (request.outcome = body)),
    reject_: vi.fn((error) => (request.outcome = error)),
  }
  return request
}

beforeEach(() => vi.useFakeTimers())
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0)
  vi.useRealTimers()
})

describe('pool', () => {
  it('lists requests oldest first and takes each out once', () => {
    const pool = createPool()
    const a = pending('a')
    const b = pending('b')
    pool.add(a)
    pool.add(b)
    expect(pool.list()).toEqual([a, b])
    expect(pool.get(a.n_)).toBe(a)
    expect(pool.take(a)).toBe(true)
    expect(pool.take(a)).toBe(false)
    expect(pool.get(a.n_)).toBeUndefined()
    expect(pool.list()).toEqual([b])
    pool.take(b)
  })

  it('rejects with TimeoutError once, unless taken first', () => {
    const pool = createPool()
    const a = pending('a')
    const b = pending('b')
    pool.add(a)
    pool.add(b)
    pool.take(b)
    vi.advanceTimersByTime(1000)
    expect(a.reject_).toHaveBeenCalledTimes(1)
    expect(a.outcome).toBeInstanceOf(TimeoutError)
    expect(b.reject_).not.toHaveBeenCalled()
    expect(pool.list()).toEqual([])
  })

  it('keeps one timer for the whole pool and times each request out at its own deadline', () => {
    const pool = createPool()
    const slow = pending('slow', 3000)
    pool.add(slow)
    vi.advanceTimersByTime(500)
    const fast = pending('fast', 1000)
    const middle = pending('middle', 2000)
    pool.add(fast)
    pool.add(middle)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(999)
    expect(fast.reject_).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fast.outcome).toBeInstanceOf(TimeoutError)
    expect(slow.reject_).not.toHaveBeenCalled()
    vi.advanceTimersByTime(999)
    expect(middle.reject_).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(middle.outcome).toBeInstanceOf(TimeoutError)
    vi.advanceTimersByTime(499)
    expect(slow.reject_).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(slow.outcome).toBeInstanceOf(TimeoutError)
    expect(pool.list()).toEqual([])
  })

  it('holds no timer once empty, and a request taken early does not time out the others early', () => {
    const pool = createPool()
    const a = pending('a', 1000)
    const b = pending('b', 5000)
    pool.add(a)
    pool.add(b)
    pool.take(a)
    vi.advanceTimersByTime(1000)
    expect(b.reject_).not.toHaveBeenCalled()
    vi.advanceTimersByTime(3999)
    expect(b.reject_).not.toHaveBeenCalled()
    pool.take(b)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('waits without limit on Infinity, and past what setTimeout can hold without firing early', () => {
    const pool = createPool()
    const forever = pending('forever', Infinity)
    const long = pending('long', 2 ** 31 + 1000)
    pool.add(forever)
    expect(vi.getTimerCount()).toBe(0)
    pool.add(long)
    vi.advanceTimersByTime(2 ** 31)
    expect(long.reject_).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1000)
    expect(long.outcome).toBeInstanceOf(TimeoutError)
    expect(forever.reject_).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
    pool.take(forever)
  })
})
