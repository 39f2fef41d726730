import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ServerError } from '../../src/errors'
import type { PresenceChange } from '../../src/types'
import { eventually, startRedis, startServerProcessUntil, type ServerProcess } from '../support/processes'
import { sdk } from '../support/sdk'

// Presence and history on demand through the SDK, against the built reference server: one node in
// memory, then two nodes on one redis-server.
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Said {
  type: 'app'
  event: 'said'
  msg: { n: number }
}
interface Room {
  said: Said
}

/** A follower of `channel` that records its presence pushes and what reached `on('$presence')`. */
async function follower(url: string, user: string, channel: string) {
  const socket = sdk(url, user, cleanups)
  const subscription = socket.subscribe<Room>(channel)
  const changes: PresenceChange[] = []
  const misrouted: unknown[] = []
  subscription.onPresence((change) => changes.push({ joined: change.joined, left: change.left }))
  socket.subscribe(channel).on('$presence', (message) => misrouted.push(message))
  socket.on('$presence', (message) => misrouted.push(message))
  await subscription.ready()
  return { socket, subscription, changes, misrouted }
}

const CHANNELS = { CHANNELS: 'room:*,news', PRESENCE_CHANNELS: 'room:*', RATE_LIMIT: '0' }

async function publish(node: ServerProcess, channel: string, from: number, to: number) {
  for (let n = from; n <= to; n++) await node.push({ event: 'said', msg: { n }, channel })
}

describe('one node', () => {
  it('presence: the users following, joins and leaves to onPresence only', async () => {
    const node = await startServerProcessUntil(cleanups, CHANNELS)
    const ann = await follower(node.url, 'user:ann', 'room:1')
    expect(await ann.subscription.presence()).toEqual({ users: ['user:ann'], count: 1 })
    // Listed and watching: ann sees her own join first.
    await eventually(() => expect(ann.changes).toEqual([{ joined: ['user:ann'], left: [] }]))
    const bob = await follower(node.url, 'user:bob', 'room:1')
    await eventually(() => expect(ann.changes.slice(1)).toEqual([{ joined: ['user:bob'], left: [] }]))
    expect(await bob.subscription.presence()).toEqual({ users: ['user:ann', 'user:bob'], count: 2 })
    bob.socket.close()
    await eventually(() => expect(ann.changes.slice(1)).toEqual([{ joined: ['user:bob'], left: [] }, { joined: [], left: ['user:bob'] }]))
    expect(await ann.subscription.presence()).toEqual({ users: ['user:ann'], count: 1 })
    expect(ann.misrouted).toEqual([])
    // A channel without presence: refused, as the server's authorize decides.
    const news = ann.socket.subscribe('news')
    await news.ready()
    const refusal = await news.presence().catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(ServerError)
    expect((refusal as ServerError).code).toBe(403)
  })

  it('history: the last publications with positions, oldest first, paged with before', async () => {
    const node = await startServerProcessUntil(cleanups, CHANNELS)
    const reader = sdk(node.url, 'user:ann', cleanups)
    const room = reader.subscribe<Room>('room:2')
    const handled: Said[] = []
    room.on('said', (message) => handled.push(message))
    await room.ready()
    await publish(node, 'room:2', 1, 30)
    await eventually(() => expect(handled).toHaveLength(30))
    const last = await room.history({ limit: 20 })
    expect(last.map((entry) => entry.message.msg.n)).toEqual(handled.slice(10).map((message) => message.msg.n))
    // Each entry is what the handlers got, and the position it had.
    expect(last[0]).toEqual({ event: 'said', message: handled[10], position: { epoch: expect.any(String), offset: 11 } })
    const older = await room.history({ limit: 20, before: last[0].position })
    expect(older.map((entry) => entry.position.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
    expect(await room.history({ limit: 20, before: older[0].position })).toEqual([])
    const bounds = await room.history({ limit: 101 }).catch((error: unknown) => error)
    expect(bounds).toMatchObject({ name: 'ServerError', code: 400 })
  })

  it('history is refused where subscribing is', async () => {
    const node = await startServerProcessUntil(cleanups, CHANNELS)
    const reader = sdk(node.url, 'user:ann', cleanups)
    const secret = reader.subscribe('secret')
    await expect(secret.ready()).rejects.toMatchObject({ name: 'ServerError', code: 403 })
    await expect(secret.history({ limit: 5 })).rejects.toMatchObject({ name: 'ServerError', code: 403 })
  })
})

describe('two nodes on one redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(() => redis?.stop())

  // A node refreshes its entries every third of PRESENCE_TTL: a dead node's users stop counting
  // within PRESENCE_TTL, and the surviving node that sweeps them out pushes their leave.
  const env = () => ({ ...CHANNELS, REDIS_URL: redis.url, PRESENCE_TTL: '3', HISTORY_SIZE: '1000' })

  it('presence across nodes, and a dead node stops counting within PRESENCE_TTL', async () => {
    const [a, b] = await Promise.all([startServerProcessUntil(cleanups, env()), startServerProcessUntil(cleanups, env())])
    const ann = await follower(a.url, 'user:ann', 'room:x')
    const bob = await follower(b.url, 'user:bob', 'room:x')
    // bob's tablet, on the same node: bob joined once.
    const tablet = await follower(b.url, 'user:bob', 'room:x')
    await eventually(() => expect(ann.changes).toEqual([{ joined: ['user:ann'], left: [] }, { joined: ['user:bob'], left: [] }]))
    for (const reader of [ann, bob]) expect(await reader.subscription.presence()).toEqual({ users: ['user:ann', 'user:bob'], count: 2 })
    const cat = await follower(a.url, 'user:cat', 'room:x')
    await eventually(() => expect(bob.changes.map((change) => change.joined)).toEqual([['user:bob'], ['user:cat']]))
    await eventually(() => expect(tablet.changes.map((change) => change.joined)).toEqual([['user:cat']]))
    await b.kill()
    await eventually(() => expect(ann.changes.at(-1)).toEqual({ joined: [], left: ['user:bob'] }), 15_000)
    expect(await cat.subscription.presence()).toEqual({ users: ['user:ann', 'user:cat'], count: 2 })
    expect(ann.misrouted).toEqual([])
  })

  it('a user on both nodes leaves only with their last socket; the list is bounded, the count exact', async () => {
    const [a, b] = await Promise.all([startServerProcessUntil(cleanups, { ...env(), PRESENCE_LIMIT: '2' }), startServerProcessUntil(cleanups, { ...env(), PRESENCE_LIMIT: '2' })])
    const ann = await follower(a.url, 'user:ann', 'room:z')
    const phone = await follower(a.url, 'user:dan', 'room:z')
    const laptop = await follower(b.url, 'user:dan', 'room:z')
    await follower(b.url, 'user:bea', 'room:z')
    await eventually(() => expect(ann.changes.flatMap((change) => change.joined)).toEqual(['user:ann', 'user:dan', 'user:bea']))
    expect(await laptop.subscription.presence()).toEqual({ users: ['user:ann', 'user:bea'], count: 3 })
    phone.socket.close()
    // Node A has taken its entry out (only B's is left for dan): that change was no leave.
    const commands = createClient({ url: redis.url })
    await commands.connect()
    cleanups.push(() => commands.destroy())
    await eventually(async () => expect((await commands.hGet('mp-socket:members:room:z', 'user:dan'))?.split(',')).toHaveLength(1))
    await follower(b.url, 'user:cy', 'room:z')
    await eventually(() => expect(ann.changes.at(-1)).toEqual({ joined: ['user:cy'], left: [] }))
    expect(ann.changes.flatMap((change) => change.left)).toEqual([])
    laptop.socket.close()
    await eventually(() => expect(ann.changes.at(-1)).toEqual({ joined: [], left: ['user:dan'] }))
    expect(await ann.subscription.presence()).toEqual({ users: ['user:ann', 'user:bea'], count: 3 })
  })

  it('history from the Redis engine, whatever node published', async () => {
    const [a, b] = await Promise.all([startServerProcessUntil(cleanups, env()), startServerProcessUntil(cleanups, env())])
    const reader = sdk(b.url, 'user:ann', cleanups)
    const room = reader.subscribe<Room>('room:y')
    await room.ready()
    await publish(a, 'room:y', 1, 15)
    await publish(b, 'room:y', 16, 25)
    const last = await room.history({ limit: 20 })
    expect(last.map((entry) => entry.message.msg.n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6))
    expect(last.map((entry) => entry.position.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6))
    const older = await room.history({ limit: 20, before: last[0].position })
    expect(older.map((entry) => entry.message.msg.n)).toEqual([1, 2, 3, 4, 5])
    const response = await fetch(`${a.http}/history`, {
      method: 'POST',
      headers: { authorization: 'Bearer e2e-push-secret' },
      body: JSON.stringify({ channel: 'room:y', limit: 3 }),
    })
    expect((await response.json()).map((entry: { position: { offset: number } }) => entry.position.offset)).toEqual([23, 24, 25])
  })
})
