import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TimeoutError } from '../../src/errors'
import { createPool, type Pending } from '../../src/pool'

function pending(id: string) {
  const request: Pending & { outcome?: unknown } = {
    id,
    event: 'e',
    frame: '',
    expectsReply: true,
    sent: false,
    resolve: vi.fn((body) => (request.outcome = body)),
    reject: vi.fn((error) => (request.outcome = error)),
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
    pool.add(a, 1000)
    pool.add(b, 1000)
    expect(pool.list()).toEqual([a, b])
    expect(pool.take('a')).toBe(a)
    expect(pool.take('a')).toBeUndefined()
    expect(pool.list()).toEqual([b])
    pool.take('b')
  })

  it('rejects with TimeoutError once, unless taken first', () => {
    const pool = createPool()
    const a = pending('a')
    const b = pending('b')
    pool.add(a, 1000)
    pool.add(b, 1000)
    pool.take('b')
    vi.advanceTimersByTime(1000)
    expect(a.reject).toHaveBeenCalledTimes(1)
    expect(a.outcome).toBeInstanceOf(TimeoutError)
    expect(b.reject).not.toHaveBeenCalled()
    expect(pool.list()).toEqual([])
  })

  it('sets no timer for a timeout setTimeout cannot hold', () => {
    const pool = createPool()
    pool.add(pending('a'), Infinity)
    pool.add(pending('b'), 2 ** 31)
    expect(vi.getTimerCount()).toBe(0)
    expect(pool.list()).toHaveLength(2)
  })
})
