import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReplyError, signToken } from '../../examples/server/src/index'
import { SECRET, referenceHarness } from '../support/reference'
import { eventually, startRedis } from '../support/processes'

const { start, connect, loggedIn } = referenceHarness()

/** The `dedupeScope` a login to `url` is told. */
async function scopeOf(url: string) {
  const client = await connect(url)
  return (await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1'), since: null })).body.dedupeScope
}

/** A handler that counts its runs and answers only when released. */
function gated() {
  const runs: unknown[] = []
  let release!: (value: unknown) => void
  const released = new Promise((resolve) => (release = resolve))
  const handler = async (data: unknown) => {
    runs.push(data)
    return { data, value: await released }
  }
  return { runs, release, handler }
}

/** Sends a request with a chosen id and resolves with its reply's data (earlier replies to that id set aside). */
async function requestWithId(client: Awaited<ReturnType<typeof connect>>, event: string, data: unknown, uuid: unknown) {
  const isReply = (message: any) => message.type === 'respon' && message.event === uuid
  for (let i = client.messages.length - 1; i >= 0; i--) if (isReply(client.messages[i])) client.messages.splice(i, 1)
  client.send({ event, data, uuid })
  const reply = await client.waitFor(isReply)
  return reply.data as { error: number; body: any }
}

describe('requests run once per user and id (one node, in memory)', () => {
  it('tells clients that track positions the window in the login reply, and nothing when it is off', async () => {
    const on = await start({ dedupe: 5000 })
    const off = await start({ dedupe: 0 })
    for (const [url, expected] of [
      [on.url, { epoch: expect.any(String), offset: 0, recovered: false, dedupe: 5000, dedupeScope: expect.any(String) }],
      [off.url, { epoch: expect.any(String), offset: 0, recovered: false }],
    ] as const) {
      const client = await connect(url)
      const reply = await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1'), since: null })
      expect(reply).toEqual({ error: 0, body: expected })
      expect(await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1') })).toEqual({ error: 0, body: 'logged in' })
    }
  })

  it('names the scope of its window: one per process in memory, one for every node on a Redis', async () => {
    const first = await start()
    const second = await start()
    const scope = await scopeOf(first.url)
    expect(scope).toEqual(expect.any(String))
    // Another login to the same process: the same scope; another process (a restart): another.
    expect(await scopeOf(first.url)).toBe(scope)
    expect(await scopeOf(second.url)).not.toBe(scope)
  })

  it('runs concurrent duplicates from two sockets of a user once, and answers both with that run', async () => {
    const { server, url } = await start()
    const { runs, release, handler } = gated()
    server.handle('order', handler)
    const phone = await loggedIn(url, 'user:1')
    const tablet = await loggedIn(url, 'user:1')
    const first = requestWithId(phone, 'order', 'first', 'id-1')
    await eventually(() => expect(runs).toEqual(['first']))
    const second = requestWithId(tablet, 'order', 'second', 'id-1')
    // The tablet's frame is read before this ping's: the duplicate is known while the run still runs.
    await tablet.request('ping')
    release('done')
    const expected = { error: 0, body: { data: 'first', value: 'done' } }
    expect(await first).toEqual(expected)
    expect(await second).toEqual(expected)
    expect(await requestWithId(tablet, 'order', 'third', 'id-1')).toEqual(expected)
    expect(runs).toEqual(['first'])
  })

  it('keeps error replies too: a duplicate of a refused or failed request gets the same error without a run', async () => {
    const { server, url } = await start()
    let runs = 0
    server.handle('pay', (data) => {
      runs++
      if (data === 'refuse') throw new ReplyError(402, { reason: 'no funds' })
      throw new Error('bug')
    })
    const client = await loggedIn(url, 'user:1')
    const refused = { error: 402, body: { reason: 'no funds' } }
    expect(await requestWithId(client, 'pay', 'refuse', 'refused')).toEqual(refused)
    expect(await requestWithId(client, 'pay', 'refuse', 'refused')).toEqual(refused)
    expect(await requestWithId(client, 'pay', 'crash', 'crashed')).toEqual({ error: 500, body: 'internal error' })
    expect(await requestWithId(client, 'pay', 'crash', 'crashed')).toEqual({ error: 500, body: 'internal error' })
    expect(runs).toBe(2)
  })

  it('keys by user: the same id from another user runs for that user and gets its own reply', async () => {
    const { server, url } = await start()
    server.handle('whoami', (_data, { user }) => user)
    const alice = await loggedIn(url, 'a:b')
    const bob = await loggedIn(url, 'a')
    expect(await requestWithId(alice, 'whoami', null, 'c')).toEqual({ error: 0, body: 'a:b' })
    expect(await requestWithId(bob, 'whoami', null, 'b:c')).toEqual({ error: 0, body: 'a' })
    expect(await requestWithId(bob, 'whoami', null, 'c')).toEqual({ error: 0, body: 'a' })
  })

  it('answers 400 to an id longer than 64 characters and runs nothing; numeric ids (socket.js timestamps) run each time', async () => {
    const { server, url } = await start()
    let runs = 0
    server.handle('count', () => ++runs)
    const client = await loggedIn(url, 'user:1')
    expect(await requestWithId(client, 'count', null, 'x'.repeat(65))).toEqual({ error: 400, body: 'a request id has at most 64 characters' })
    expect(runs).toBe(0)
    expect(await requestWithId(client, 'count', null, 'x'.repeat(64))).toEqual({ error: 0, body: 1 })
    expect(await requestWithId(client, 'count', null, 1733000000000)).toEqual({ error: 0, body: 2 })
    expect(await requestWithId(client, 'count', null, 1733000000000)).toEqual({ error: 0, body: 3 })
  })

  it('gives handlers the request id: the frame’s uuid, the same for a resend, undefined for a one-way message', async () => {
    for (const dedupe of [60_000, 0]) {
      const { server, url } = await start({ dedupe })
      const seen: unknown[] = []
      server.handle('note', (data, { requestId }) => {
        seen.push(requestId)
        return requestId
      })
      const client = await loggedIn(url, 'user:1')
      expect(await requestWithId(client, 'note', null, 'abc123')).toEqual({ error: 0, body: 'abc123' })
      expect(await requestWithId(client, 'note', null, 1733000000000)).toEqual({ error: 0, body: 1733000000000 })
      client.send({ event: 'note', data: null })
      await eventually(() => expect(seen).toHaveLength(3))
      expect(seen).toEqual(['abc123', 1733000000000, undefined])
    }
  })

  it('forgets a reply after the window: a later duplicate runs again', async () => {
    const { server, url } = await start({ dedupe: 50 })
    let runs = 0
    server.handle('count', () => ++runs)
    const client = await loggedIn(url, 'user:1')
    expect(await requestWithId(client, 'count', null, 'late')).toEqual({ error: 0, body: 1 })
    expect(await requestWithId(client, 'count', null, 'late')).toEqual({ error: 0, body: 1 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await requestWithId(client, 'count', null, 'late')).toEqual({ error: 0, body: 2 })
  })

  it('remembers at most dedupePerUser requests per user, the oldest forgotten first, without touching other users', async () => {
    const { server, url } = await start({ dedupePerUser: 2 })
    const runs: string[] = []
    server.handle('note', (_data, { user }) => runs.push(user))
    const flooder = await loggedIn(url, 'user:flood')
    const other = await loggedIn(url, 'user:other')
    await requestWithId(other, 'note', null, 'kept')
    for (const id of ['a', 'b', 'c']) await requestWithId(flooder, 'note', null, id)
    await requestWithId(flooder, 'note', null, 'c')
    await requestWithId(flooder, 'note', null, 'a')
    await requestWithId(other, 'note', null, 'kept')
    expect(runs).toEqual(['user:other', 'user:flood', 'user:flood', 'user:flood', 'user:flood'])
  })

  it('sends the same reply frames, byte for byte, with dedupe on and off', async () => {
    const frames: string[][] = []
    for (const dedupe of [60_000, 0]) {
      const { server, url } = await start({ dedupe })
      server.handle('echo', (data) => data)
      server.handle('refuse', () => {
        throw new ReplyError(409, { why: 'taken', n: [1, 2] })
      })
      server.handle('nothing', () => undefined)
      server.handle('cycle', () => {
        const cycle: Record<string, unknown> = {}
        cycle.self = cycle
        return cycle
      })
      const client = await loggedIn(url, 'user:1')
      const texts: string[] = []
      client.socket.on('message', (raw) => texts.push(String(raw)))
      for (const [event, data] of [['echo', { a: 'é', b: [null, 1.5] }], ['refuse', null], ['nothing', 1], ['cycle', 1]] as const) {
        await requestWithId(client, event, data, `id-${event}`)
      }
      frames.push(texts)
    }
    expect(frames[0]).toHaveLength(4)
    expect(frames[0]).toEqual(frames[1])
  })

  it('runs every duplicate when dedupe is 0, as before', async () => {
    const { server, url } = await start({ dedupe: 0 })
    let runs = 0
    server.handle('count', () => ++runs)
    const client = await loggedIn(url, 'user:1')
    expect(await requestWithId(client, 'count', null, 'same')).toEqual({ error: 0, body: 1 })
    expect(await requestWithId(client, 'count', null, 'same')).toEqual({ error: 0, body: 2 })
  })
})

describe('requests run once per user and id across nodes (Redis)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(() => redis.stop())

  /** Two nodes on the Redis, each with the gated handler as `order`, and a socket of user:1 on each. */
  async function twoNodes(options: { dedupe?: number } = {}) {
    const nodes = [await start({ redisUrl: redis.url, ...options }), await start({ redisUrl: redis.url, ...options })]
    const gate = gated()
    for (const { server } of nodes) server.handle('order', gate.handler)
    return { ...gate, onA: await loggedIn(nodes[0].url, 'user:1'), onB: await loggedIn(nodes[1].url, 'user:1'), nodeB: nodes[1] }
  }

  it('names one scope for every node on a Redis, and a new one once that Redis lost its data', async () => {
    const nodeA = await start({ redisUrl: redis.url })
    const nodeB = await start({ redisUrl: redis.url })
    const scope = await scopeOf(nodeA.url)
    expect(scope).toEqual(expect.any(String))
    expect(await scopeOf(nodeB.url)).toBe(scope)
    const commands = createClient({ url: redis.url })
    await commands.connect()
    await commands.flushAll()
    await commands.quit()
    const nodeC = await start({ redisUrl: redis.url })
    expect(await scopeOf(nodeC.url)).not.toBe(scope)
  })

  it('runs the same id sent to two nodes at once once; the other node waits for that reply', async () => {
    const { runs, release, onA, onB, nodeB } = await twoNodes()
    const first = requestWithId(onA, 'order', 'first', 'id-x')
    await eventually(() => expect(runs).toEqual(['first']))
    const second = requestWithId(onB, 'order', 'second', 'id-x')
    await onB.request('ping')
    release('done')
    const expected = { error: 0, body: { data: 'first', value: 'done' } }
    expect(await first).toEqual(expected)
    expect(await second).toEqual(expected)
    // A retry reaching a third socket on node B later gets the stored reply.
    const later = await loggedIn(nodeB.url, 'user:1')
    expect(await requestWithId(later, 'order', 'third', 'id-x')).toEqual(expected)
    expect(runs).toEqual(['first'])
  })

  it('keeps the claim of a handler slower than the window: a duplicate on another node waits for that run', async () => {
    // A window of 300 ms, a handler that takes three times as long: the claim must outlive it.
    const { runs, release, onA, onB } = await twoNodes({ dedupe: 300 })
    const first = requestWithId(onA, 'order', 'first', 'id-slow')
    await eventually(() => expect(runs).toEqual(['first']))
    await new Promise((resolve) => setTimeout(resolve, 700))
    const second = requestWithId(onB, 'order', 'second', 'id-slow')
    await onB.request('ping')
    await new Promise((resolve) => setTimeout(resolve, 150))
    release('done')
    const expected = { error: 0, body: { data: 'first', value: 'done' } }
    expect(await first).toEqual(expected)
    expect(await second).toEqual(expected)
    expect(runs).toEqual(['first'])
  })

  it('stores error replies in Redis, and keeps users apart whatever their names hold', async () => {
    const nodeA = await start({ redisUrl: redis.url })
    const nodeB = await start({ redisUrl: redis.url })
    let runs = 0
    for (const { server } of [nodeA, nodeB]) {
      server.handle('pay', (_data, { user }) => {
        runs++
        throw new ReplyError(402, user)
      })
    }
    const alice = await loggedIn(nodeA.url, 'a:b')
    const bob = await loggedIn(nodeB.url, 'a')
    expect(await requestWithId(alice, 'pay', null, 'c')).toEqual({ error: 402, body: 'a:b' })
    const aliceOnB = await loggedIn(nodeB.url, 'a:b')
    expect(await requestWithId(aliceOnB, 'pay', null, 'c')).toEqual({ error: 402, body: 'a:b' })
    expect(await requestWithId(bob, 'pay', null, 'b:c')).toEqual({ error: 402, body: 'a' })
    expect(runs).toBe(2)
  })
})
