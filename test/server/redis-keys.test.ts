import keySlot from 'cluster-key-slot'
import { describe, expect, it } from 'vitest'
import { BUCKETS, redisKeys, tagOf } from '../../examples/server/src/redis-keys'

// On a Redis Cluster a script may touch one slot only, and a publication's live channel must be in
// the slot of the stream it announces (the script SPUBLISHes it). The buckets must also spread the
// streams over the masters as the slots do.
const key = redisKeys('mp-socket')
const streams = Array.from({ length: 5000 }, (_, n) => (n % 2 ? `u:user:${n}` : `c:room:${n}`))

describe('the Redis key layout', () => {
  it("puts a stream's keys, its claims and its live channel in one slot", () => {
    for (const stream of streams) {
      const slot = keySlot(key.history(stream))
      for (const name of [key.claim('a1b2:3', stream), key.live(stream)]) expect(keySlot(name)).toBe(slot)
    }
  })

  it("gives a stream the bucket of its own slot, and the buckets' tags cover the slots evenly", () => {
    const tags = key.allLive().map((channel) => channel.match(/\{(\d+)\}$/)![1])
    expect(new Set(tags).size).toBe(BUCKETS)
    tags.forEach((tag, bucket) => expect(Math.floor(keySlot(tag) / 64)).toBe(bucket))
    for (const stream of streams.slice(0, 500)) expect(Math.floor(keySlot(tagOf(stream)) / 64)).toBe(Math.floor(keySlot(stream) / 64))
    // redis-cli --cluster create splits the slots of three masters at 5461 and 10923.
    const perMaster = [0, 0, 0]
    for (const tag of tags) perMaster[keySlot(tag) < 5461 ? 0 : keySlot(tag) < 10923 ? 1 : 2]++
    for (const buckets of perMaster) expect(Math.abs(buckets - BUCKETS / 3)).toBeLessThanOrEqual(1)
  })

  it('follows every bucket, so that every node hears every publication', () => {
    const live = new Set(key.allLive())
    for (const stream of streams) expect(live.has(key.live(stream))).toBe(true)
    expect(live.has(key.live('*'))).toBe(true)
  })
})
