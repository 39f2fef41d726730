import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createHeartbeat } from '../../src/heartbeat'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('heartbeat', () => {
  it('beats every interval while started, at once on now(), and never after stop()', () => {
    const beat = vi.fn()
    const heartbeat = createHeartbeat(1000, beat)
    heartbeat.start()
    vi.advanceTimersByTime(2999)
    expect(beat).toHaveBeenCalledTimes(2)
    heartbeat.now()
    expect(beat).toHaveBeenCalledTimes(3)
    vi.advanceTimersByTime(999)
    expect(beat).toHaveBeenCalledTimes(3)
    vi.advanceTimersByTime(1)
    expect(beat).toHaveBeenCalledTimes(4)
    heartbeat.stop()
    vi.advanceTimersByTime(10_000)
    expect(beat).toHaveBeenCalledTimes(4)
    expect(vi.getTimerCount()).toBe(0)
  })
})
