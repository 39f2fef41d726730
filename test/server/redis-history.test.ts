import fc from 'fast-check'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Engine, HistoryOptions } from '../../examples/server/src/engine'
import { memoryEngine } from '../../examples/server/src/engine-memory'
import { redisEngine } from '../../examples/server/src/engine-redis'
import type { Position, Publication } from '../../examples/server/src/streams'
import { storedHistory } from '../support/history'
import { eventually, startRedis } from '../support/processes'
import { redisKeys } from '../../examples/server/src/redis-keys'

const historyKey = redisKeys('mp-socket').history

// The Redis engine's history (redis-scripts.ts): one key per stream, a string while it stores
// nothing, a list of the entries and the meta once it does. What it must keep from the streams it
// replaced: the window of `history.size` entries, the ttl, a new epoch when the key is lost, pages
// with `before`, ingest claimed once across nodes, and a recovery in one round trip.
describe('history in Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  let commands: ReturnType<typeof createClient>
  const engines: Engine[] = []
  const heard = new Map<Engine, Publication[]>()

  async function engine(history: Partial<HistoryOptions> = {}, nodeId = `node-${engines.length}`) {
    const publications: Publication[] = []
    const listener = { publication: (publication: Publication) => publications.push(publication), broadcast() {}, signal() {} }
    const started = await redisEngine({ redis: { url: redis.url }, nodeId, prefix: 'mp-socket', history: { size: 100, ttl: 300, ...history }, ingest: [], log() {} }, listener)
    engines.push(started)
    heard.set(started, publications)
    return started
  }
  const data = (n: number) => JSON.stringify({ event: 'e', msg: n })
  const offsets = (publications: Publication[]) => publications.map((publication) => publication.offset)

  beforeAll(async () => {
    redis = await startRedis()
    commands = createClient({ url: redis.url })
    commands.on('error', () => {})
    await commands.connect()
  })
  afterEach(async () => {
    for (const started of engines.splice(0)) await started.close()
    heard.clear()
    await commands.flushAll()
  })
  afterAll(async () => {
    commands.destroy()
    await redis.stop()
  })

  it('keeps exactly history.size entries: a client that missed that many recovers, one more and it is told recovered: false', async () => {
    const node = await engine({ size: 3 })
    const { position } = await node.recover('u:ann', undefined)
    expect(position.offset).toBe(0)
    for (let n = 1; n <= 5; n++) {
      expect(await node.publish('u:ann', data(n))).toMatchObject({ epoch: position.epoch, offset: n })
      const kept = [n - 2, n - 1, n].filter((offset) => offset >= 1).map(data)
      expect(await storedHistory(commands, 'u:ann')).toEqual({ type: 'list', epoch: position.epoch, offset: n, entries: kept })
    }

    const three = await node.recover('u:ann', { epoch: position.epoch, offset: 2 })
    expect(three.recovered).toBe(true)
    expect(three.publications).toEqual([3, 4, 5].map((n) => ({ stream: 'u:ann', epoch: position.epoch, offset: n, data: data(n) })))
    expect(await node.recover('u:ann', { epoch: position.epoch, offset: 1 })).toEqual({ position: { epoch: position.epoch, offset: 5 }, publications: [], recovered: false })
    expect(await node.recover('u:ann', { epoch: position.epoch, offset: 5 })).toEqual({ position: { epoch: position.epoch, offset: 5 }, publications: [], recovered: true })
    // Ahead of the top, or of another epoch: not this client's history.
    expect((await node.recover('u:ann', { epoch: position.epoch, offset: 6 })).recovered).toBe(false)
    expect((await node.recover('u:ann', { epoch: '1', offset: 4 })).recovered).toBe(false)
  })

  it('stores nothing but the position for the publication that starts an epoch, then every publication', async () => {
    const node = await engine()
    const first = await node.publish('u:bob', data(1))
    expect(await storedHistory(commands, 'u:bob')).toEqual({ type: 'string', epoch: first?.epoch, offset: 1, entries: [] })
    // Nobody can be at offset 0 of that epoch: a client there is not recovered; one at the top is.
    expect((await node.recover('u:bob', { epoch: String(first?.epoch), offset: 0 })).recovered).toBe(false)
    expect(await node.recover('u:bob', { epoch: String(first?.epoch), offset: 1 })).toEqual({ position: { epoch: first?.epoch, offset: 1 }, publications: [], recovered: true })
    await node.publish('u:bob', data(2))
    expect(await storedHistory(commands, 'u:bob')).toEqual({ type: 'list', epoch: first?.epoch, offset: 2, entries: [data(2)] })
    expect(await node.recover('u:bob', { epoch: String(first?.epoch), offset: 1 })).toMatchObject({ recovered: true, publications: [{ offset: 2, data: data(2) }] })
  })

  it('expires a stream history.ttl seconds after its last publication, and then starts a new epoch', async () => {
    const node = await engine({ ttl: 300 })
    const { position } = await node.recover('c:room', undefined)
    expect(await commands.ttl(historyKey('c:room'))).toBeGreaterThan(0)
    await node.publish('c:room', data(1))
    await commands.expire(historyKey('c:room'), 5)
    await node.recover('c:room', undefined)
    await node.history('c:room', { limit: 1 })
    expect(await commands.ttl(historyKey('c:room'))).toBeLessThanOrEqual(5)
    await node.publish('c:room', data(2))
    // Each publication sets the ttl again (a read does not).
    expect(await commands.ttl(historyKey('c:room'))).toBeGreaterThan(5)
    expect(await commands.ttl(historyKey('c:room'))).toBeLessThanOrEqual(300)

    const short = await engine({ ttl: 1 })
    await short.publish('c:room', data(3))
    await eventually(async () => expect(await commands.exists(historyKey('c:room'))).toBe(0), 10_000, 100)
    const after = await short.recover('c:room', { epoch: position.epoch, offset: 3 })
    expect(after.recovered).toBe(false)
    expect(after.position.offset).toBe(0)
    expect(after.position.epoch).not.toBe(position.epoch)
  })

  it('a key lost (evicted, deleted) or overwritten by another program starts a new epoch, never an error or stale entries', async () => {
    const node = await engine()
    const { position } = await node.recover('c:lost', undefined)
    for (let n = 1; n <= 3; n++) await node.publish('c:lost', data(n))
    await commands.del(historyKey('c:lost'))
    const renewed = await node.recover('c:lost', { epoch: position.epoch, offset: 1 })
    expect(renewed).toMatchObject({ recovered: false, publications: [], position: { offset: 0 } })
    expect(renewed.position.epoch).not.toBe(position.epoch)
    expect(await node.publish('c:lost', data(4))).toMatchObject({ epoch: renewed.position.epoch, offset: 1 })

    for (const write of [() => commands.hSet(historyKey('c:lost'), 'e', '1'), () => commands.rPush(historyKey('c:lost'), ['a', 'b']), () => commands.set(historyKey('c:lost'), 'x')]) {
      await commands.del(historyKey('c:lost'))
      await write()
      const fresh = await node.publish('c:lost', data(5))
      expect(fresh?.offset).toBe(1)
      expect(await storedHistory(commands, 'c:lost')).toEqual({ type: 'string', epoch: fresh?.epoch, offset: 1, entries: [] })
    }
  })

  it('a key evicted by maxmemory takes its epoch with it: the next recovery starts a new one', async () => {
    const node = await engine({ ttl: 300 })
    const { position } = await node.recover('c:evicted', undefined)
    for (let n = 1; n <= 3; n++) await node.publish('c:evicted', data(n))
    // volatile-ttl evicts the keys nearest their expiry first: the history key, among fillers that
    // live far longer, as memory runs out.
    const used = Number(/used_memory:(\d+)/.exec(await commands.info('memory'))?.[1])
    await commands.configSet({ 'maxmemory-policy': 'volatile-ttl', maxmemory: String(used + 2 ** 20) })
    try {
      for (let n = 0; n < 200 && (await commands.exists(historyKey('c:evicted'))); n++) await commands.set(`filler:${n}`, 'x'.repeat(100_000), { EX: 86_400 })
      expect(Number(/evicted_keys:(\d+)/.exec(await commands.info('stats'))?.[1])).toBeGreaterThan(0)
      expect(await commands.exists(historyKey('c:evicted'))).toBe(0)
    } finally {
      await commands.configSet({ maxmemory: '0', 'maxmemory-policy': 'noeviction' })
    }
    const after = await node.recover('c:evicted', { epoch: position.epoch, offset: 1 })
    expect(after).toMatchObject({ recovered: false, publications: [], position: { offset: 0 } })
    expect(after.position.epoch).not.toBe(position.epoch)
  })

  it('pages with before: the last limit entries before a position, none of another epoch', async () => {
    const node = await engine({ size: 5 })
    const { position } = await node.history('c:page', { limit: 10 })
    for (let n = 1; n <= 7; n++) await node.publish('c:page', data(n))
    const { epoch } = position
    const page = async (limit: number, before?: { epoch: string; offset: number }) => offsets((await node.history('c:page', { limit, before })).publications)
    expect(await node.history('c:page', { limit: 2 })).toEqual({ position: { epoch, offset: 7 }, publications: [6, 7].map((n) => ({ stream: 'c:page', epoch, offset: n, data: data(n) })) })
    expect(await page(10)).toEqual([3, 4, 5, 6, 7])
    expect(await page(2, { epoch, offset: 6 })).toEqual([4, 5])
    expect(await page(10, { epoch, offset: 5 })).toEqual([3, 4])
    expect(await page(10, { epoch, offset: 3 })).toEqual([])
    expect(await page(2, { epoch, offset: 1000 })).toEqual([6, 7])
    expect(await page(2, { epoch: '1', offset: 6 })).toEqual([])
    // A stream nobody wrote to: an epoch at offset 0 and nothing in it.
    expect(await node.history('c:empty', { limit: 3 })).toEqual({ position: { epoch: expect.any(String), offset: 0 }, publications: [] })
  })

  it('a claimed publication is stored and delivered once across two nodes', async () => {
    const [a, b] = [await engine({}, 'a'), await engine({}, 'b')]
    await a.recover('c:ingest', undefined)
    const [fromA, fromB] = await Promise.all([a.publish('c:ingest', data(1), 'claim-1'), b.publish('c:ingest', data(1), 'claim-1')])
    expect([fromA, fromB].filter(Boolean)).toEqual([{ stream: 'c:ingest', epoch: expect.any(String), offset: 1, data: data(1) }])
    expect(await b.publish('c:ingest', data(1), 'claim-1')).toBeUndefined()
    expect(await a.publish('c:ingest', data(2), 'claim-2')).toMatchObject({ offset: 2 })
    await eventually(() => expect([heard.get(a), heard.get(b)].map((list) => offsets(list ?? []))).toEqual([[1, 2], [1, 2]]))
    expect((await storedHistory(commands, 'c:ingest'))?.entries).toEqual([data(1), data(2)])
  })

  it.each([4, 1, 0])('answers every recovery and page as the memory engine does, once an epoch is started by a read (history.size %i)', async (size) => {
    type Step = { publish: true } | { recover: { offset: number; sameEpoch: boolean } | undefined } | { page: { limit: number; before?: { offset: number; sameEpoch: boolean } } }
    // Offsets around the size and the tops a run reaches, mostly of the stream's own epoch.
    const mark = fc.record({ offset: fc.integer({ min: 0, max: 10 }), sameEpoch: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }) })
    const step: fc.Arbitrary<Step> = fc.oneof(
      { arbitrary: fc.constant({ publish: true as const }), weight: 3 },
      { arbitrary: fc.record({ recover: fc.option(mark, { nil: undefined }) }), weight: 2 },
      { arbitrary: fc.record({ page: fc.record({ limit: fc.integer({ min: 1, max: 5 }), before: fc.option(mark, { nil: undefined }) }) }), weight: 2 },
    )
    const history = { size, ttl: 300 }
    const memory = memoryEngine({ publication() {}, broadcast() {}, signal() {} }, history)
    const node = await engine(history)
    let run = 0
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 6, maxLength: 24 }), async (steps) => {
          // A new stream name each run: the memory engine has no flush.
          const stream = `c:model:${run++}`
          // The Redis engine stores no publication that starts an epoch (nobody can be at its
          // offset 0); a read first makes both store every one.
          const epochs = new Map([[memory, (await memory.recover(stream, undefined)).position.epoch], [node, (await node.recover(stream, undefined)).position.epoch]])
          // Answers with each engine's own epoch written as 'E', so that the two compare.
          const plain = (value: unknown, epoch: string) => JSON.parse(JSON.stringify(value).split(JSON.stringify(epoch)).join('"E"'))
          const answer = async (target: Engine, at: Step, payload: string) => {
            const epoch = epochs.get(target) ?? ''
            const position = (mark?: { offset: number; sameEpoch: boolean }): Position | undefined => mark && { epoch: mark.sameEpoch ? epoch : 'other', offset: mark.offset }
            if ('publish' in at) return plain(await target.publish(stream, payload), epoch)
            if ('recover' in at) return plain(await target.recover(stream, position(at.recover)), epoch)
            return plain(await target.history(stream, { limit: at.page.limit, before: position(at.page.before) }), epoch)
          }
          for (const [index, at] of steps.entries()) {
            expect(await answer(node, at, data(index))).toEqual(await answer(memory, at, data(index)))
          }
        }),
        { numRuns: 100 },
      )
    } finally {
      await memory.close()
    }
  })

  it('recovers in one round trip to Redis: one EVALSHA, whether the client missed entries, nothing, or has no position; a page too', async () => {
    const node = await engine()
    const { position } = await node.recover('u:cat', undefined)
    for (let n = 1; n <= 4; n++) await node.publish('u:cat', data(n))
    const monitor = commands.duplicate()
    monitor.on('error', () => {})
    await monitor.connect()
    const seen: string[] = []
    await monitor.monitor((line) => seen.push(line))
    try {
      const recoveries = [
        await node.recover('u:cat', { epoch: position.epoch, offset: 1 }),
        await node.recover('u:cat', { epoch: position.epoch, offset: 4 }),
        await node.recover('u:cat', undefined),
        await node.recover('u:new', undefined),
      ]
      expect(recoveries.map((recovery) => [recovery.recovered, offsets(recovery.publications)])).toEqual([[true, [2, 3, 4]], [true, []], [false, []], [false, []]])
      expect(offsets((await node.history('u:cat', { limit: 2, before: { epoch: position.epoch, offset: 4 } })).publications)).toEqual([2, 3])
      // MONITOR shows a script's own commands as `[0 lua]`: those are not round trips.
      await eventually(() => expect(seen.filter((line) => !line.includes(' lua]')).map((line) => /"(\w+)"/.exec(line)?.[1]?.toUpperCase())).toEqual(Array(5).fill('EVALSHA')))
    } finally {
      monitor.destroy()
    }
  })
})
