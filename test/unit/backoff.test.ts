import { describe, expect, it } from 'vitest'
import { reconnectDelay } from '../../src/backoff'

const options = { minDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 0.5 }

describe('reconnectDelay', () => {
  it('grows exponentially up to maxDelay', () => {
    const delays = Array.from({ length: 8 }, (_, attempt) => reconnectDelay(attempt, options, () => 0))
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000])
  })

  it('takes up to `jitter` of each delay off at random', () => {
    expect(reconnectDelay(2, options, () => 0)).toBe(4000)
    expect(reconnectDelay(2, options, () => 0.5)).toBe(3000)
    expect(reconnectDelay(2, options, () => 0.9999)).toBe(2000)
    expect(reconnectDelay(2, { ...options, jitter: 0 }, () => 0.9999)).toBe(4000)
    for (let i = 0; i < 1000; i++) {
      const delay = reconnectDelay(3, options)
      expect(delay).toBeGreaterThanOrEqual(4000)
      expect(delay).toBeLessThanOrEqual(8000)
    }
  })

  it('never overflows for large attempt counts', () => {
    expect(reconnectDelay(10_000, options, () => 0)).toBe(30_000)
  })
})
