// The reference server on a real Redis Cluster (issue 19): three masters started by the suite,
// reference server nodes as their own processes with REDIS_CLUSTER. Every script must stay in one
// slot (or the cluster refuses it), publications go out on sharded channels, the control channel
// must count every node, and backends keep publishing with a classic PUBLISH on any cluster node.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisKeys } from '../../examples/server/src/redis-keys'
import { signToken } from '../../examples/server/src/token'
import type { PresenceChange } from '../../src/types'
import { COUNTING_NODE, runsOf } from '../support/exactly-once'
import { PUSH_SECRET, SECRET, eventually, startRedis, startServerProcess, type ServerProcess } from '../support/processes'
import { rawClient } from '../support/raw'
import { startRedisCluster, type RedisCluster, type RedisClusterNode } from '../support/redis-cluster'
import { sdk } from '../support/sdk'
import { Tracker } from '../support/tracker'

const key = redisKeys('mp-socket')
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i))

let cluster: RedisCluster
let nodeA: ServerProcess
let nodeB: ServerProcess
let env: Record<string, string>
const cleanups: Array<() => unknown> = []
const each: Array<() => unknown> = []

beforeAll(async () => {
  cluster = await startRedisCluster(3)
  cleanups.push(() => cluster.stop())
  env = { REDIS_CLUSTER: cluster.env, CHANNELS: '*', PRESENCE_CHANNELS: 'room:*', RATE_LIMIT: '0', HISTORY_SIZE: '1000' }
  ;[nodeA, nodeB] = await Promise.all([startServerProcess(env), startServerProcess(env)])
  cleanups.push(() => nodeA.kill(), () => nodeB.kill())
}, 60_000)
afterEach(async () => {
  for (const cleanup of each.splice(0).reverse()) await cleanup()
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

function tracker(user: string, channels: string[] = []) {
  const t = new Tracker(user, SECRET, channels)
  each.push(() => t.drop())
  return t
}

async function post(node: ServerProcess, path: string, body: unknown) {
  const response = await fetch(`${node.http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${PUSH_SECRET}` },
    body: JSON.stringify(body),
  })
  expect(response.status).toBe(200)
  return response.json()
}

/** `redis-cli -c -p <port of a node> PUBLISH mp-socket:push <envelope>`, as a PHP or Python backend would. */
const cliPublish = (node: number, envelope: unknown) => cluster.nodes[node].cli(['PUBLISH', 'mp-socket:push', JSON.stringify(envelope)], { follow: true })

describe('the reference server on a Redis Cluster of three masters', () => {
  it('keeps each stream, its claims and its live channel in one slot, and spreads the streams over every master', async () => {
    // Users until each master holds the streams of two of them.
    const byMaster = new Map<number, string[]>()
    for (let n = 0; [...byMaster.values()].filter((users) => users.length >= 2).length < 3; n++) {
      const user = `user:${n}`
      const master = await cluster.masterOf(key.history(`u:${user}`))
      const users = byMaster.get(master.port) ?? []
      if (users.length < 2) byMaster.set(master.port, [...users, user])
    }
    expect([...byMaster.keys()].sort()).toEqual(cluster.nodes.map((node) => node.port).sort())
    const users = [...byMaster.values()].flat()
    for (const user of users) {
      const stream = `u:${user}`
      const slot = await cluster.nodes[0].cli(['CLUSTER', 'KEYSLOT', key.history(stream)])
      for (const name of [key.claim('any', stream), key.live(stream)]) expect(await cluster.nodes[0].cli(['CLUSTER', 'KEYSLOT', name])).toBe(slot)
    }

    const phones = users.map((user) => tracker(user))
    for (const phone of phones) await phone.connect(nodeA.url)
    for (const user of users) expect(await nodeB.push({ event: 'e', msg: `to ${user}`, to: user })).toEqual({ delivered: 1 })
    for (const [i, phone] of phones.entries()) await eventually(() => expect(phone.of('user')).toEqual([`to ${users[i]}`]))
    // Stored on the master the slot says, which answers for the key without a redirection.
    for (const [port, ofMaster] of byMaster) {
      const master = cluster.nodes.find((node) => node.port === port)!
      // One entry, then the position: a list of two.
      for (const user of ofMaster) expect(await master.cli(['LLEN', key.history(`u:${user}`)])).toBe('2')
    }
  })

  it('a client whose node goes away reconnects to another node and gets exactly what it missed', async () => {
    const nodeC = await startServerProcess(env)
    each.push(() => nodeC.kill())
    const phone = tracker('user:r1', ['room:r1'])
    await phone.connect(nodeC.url)
    await nodeC.kill()
    const N = 9
    for (let n = 1; n <= N; n++) await [nodeA, nodeB][n % 2].push({ event: 'e', msg: String(n), to: 'user:r1', channel: 'room:r1' })
    // The last one raw, on a cluster node that does not hold the channel's slot (PUBLISH's reply
    // counts only that node's subscribers, so it says nothing here).
    const holder = await cluster.masterOf(key.history('c:room:r1'))
    await cliPublish(cluster.nodes.findIndex((node) => node !== holder), { event: 'e', msg: String(N + 1), to: 'user:r1', channel: 'room:r1' })
    await eventually(async () => expect(await post(nodeA, '/history', { channel: 'room:r1', limit: 1 })).toMatchObject([{ position: { offset: N + 1 } }]))

    await phone.connect(nodeB.url)
    expect(phone.recovered.get('user')).toBe(true)
    expect(phone.recovered.get('room:r1')).toBe(true)
    expect(phone.of('room:r1')).toEqual(range(1, N + 1))
    await eventually(() => expect(phone.of('user')).toEqual(range(1, N + 1)))
    await nodeA.push({ event: 'e', msg: String(N + 2), channel: 'room:r1' })
    await eventually(() => expect(phone.of('room:r1')).toEqual(range(1, N + 2)))
    expect(phone.duplicates).toBe(0)
  })

  it('fans a channel out to its subscribers on every node, pushed through any node or raw on any cluster node', async () => {
    const followers = [nodeA, nodeB, nodeA, nodeB].map((node, i) => ({ node, phone: tracker(`user:f${i}`, ['room:fan']) }))
    for (const { node, phone } of followers) await phone.connect(node.url)
    expect(await nodeA.push({ event: 'e', msg: '1', channel: 'room:fan' })).toEqual({ delivered: 4 })
    expect(await nodeB.push({ event: 'e', msg: '2', channel: 'room:fan' })).toEqual({ delivered: 4 })
    for (const node of [0, 1, 2]) {
      await cliPublish(node, { event: 'e', msg: String(3 + node), channel: 'room:fan' })
      await eventually(() => expect(followers[0].phone.of('room:fan')).toHaveLength(3 + node))
    }
    for (const { phone } of followers) {
      await eventually(() => expect(phone.of('room:fan')).toEqual(range(1, 5)))
      expect(phone.duplicates).toBe(0)
    }
    // Each raw message was stored once, whatever the number of nodes that heard it.
    const stored: Array<{ position: { offset: number } }> = await post(nodeB, '/history', { channel: 'room:fan', limit: 10 })
    expect(stored.map((entry) => entry.position.offset)).toEqual([1, 2, 3, 4, 5])
  })

  it('presence: followers on both nodes are listed by either, and joins and leaves reach the other node', async () => {
    const follow = async (node: ServerProcess, user: string) => {
      const socket = sdk(node.url, user, each)
      const subscription = socket.subscribe('room:p')
      const changes: PresenceChange[] = []
      subscription.onPresence((change) => changes.push({ joined: change.joined, left: change.left }))
      await subscription.ready()
      return { socket, subscription, changes }
    }
    const ann = await follow(nodeA, 'user:ann')
    const bob = await follow(nodeB, 'user:bob')
    await eventually(() => expect(ann.changes).toEqual([{ joined: ['user:ann'], left: [] }, { joined: ['user:bob'], left: [] }]))
    for (const reader of [ann, bob]) expect(await reader.subscription.presence()).toEqual({ users: ['user:ann', 'user:bob'], count: 2 })
    bob.socket.close()
    await eventually(() => expect(ann.changes.at(-1)).toEqual({ joined: [], left: ['user:bob'] }))
    expect(await ann.subscription.presence()).toEqual({ users: ['user:ann'], count: 1 })
    // Who is online, for a push's count: the user's sockets on both nodes.
    const phones = [tracker('user:o'), tracker('user:o')]
    await phones[0].connect(nodeA.url)
    await phones[1].connect(nodeB.url)
    await eventually(async () => expect(await nodeA.push({ event: 'e', msg: 'hi', to: 'user:o' })).toEqual({ delivered: 2 }))
  })

  it('POST /disconnect counts the sockets it closed on every node, and a channel push counts every node', async () => {
    const sockets = await Promise.all([nodeA, nodeB, nodeB].map(async (node) => (await tracker('user:k', ['room:k']).connect(node.url))))
    expect(await nodeA.push({ event: 'e', msg: 'before', channel: 'room:k' })).toEqual({ delivered: 3 })
    expect(await post(nodeA, '/disconnect', { to: 'user:k', reason: 'bye' })).toEqual({ disconnected: 3 })
    for (const socket of sockets) expect((await socket.waitClose()).code).toBe(4409)
    expect(await post(nodeB, '/disconnect', { to: 'user:k' })).toEqual({ disconnected: 0 })
  })

  it('the CLI refuses REDIS_URL with REDIS_CLUSTER, saying why', async () => {
    await expect(startServerProcess({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER: cluster.env })).rejects.toThrow(/exited with 2[\s\S]*REDIS_URL and REDIS_CLUSTER are exclusive/)
  })

  it('runs a request once when the same id reaches both nodes at once', async () => {
    const counter = await startRedis()
    each.push(() => counter.stop())
    const counting = { REDIS_CLUSTER: cluster.env, COUNTER_URL: counter.url }
    const nodes = await Promise.all([0, 1].map(() => startServerProcess(counting, 0, COUNTING_NODE)))
    for (const node of nodes) each.push(() => node.kill())
    const sockets = await Promise.all([nodes[0], nodes[1], nodes[0], nodes[1]].map(async (node) => {
      const client = await rawClient(node.url)
      each.push(() => client.close())
      expect((await client.request('login', { u: 'user:once', token: signToken(SECRET, 'user:once') })).error).toBe(0)
      return client
    }))
    const IDS = 10
    for (let n = 0; n < IDS; n++) sockets.forEach((socket, s) => socket.send({ event: 'work', data: { key: `${n}-${s}`, ms: 100 }, uuid: `dup-${n}` }))
    const replies = await Promise.all(
      sockets.map((socket) => Promise.all(range(0, IDS - 1).map((n) => socket.waitFor((message) => message.type === 'respon' && message.event === `dup-${n}`, 30_000).then((reply) => reply.data)))),
    )
    const runs = await runsOf(counter.url)
    expect(runs.size).toBe(IDS)
    for (let n = 0; n < IDS; n++) {
      const ran = sockets.map((_, s) => `${n}-${s}`).filter((name) => runs.has(name))
      expect(ran).toHaveLength(1)
      expect(runs.get(ran[0])!.total).toBe(1)
      for (const ofSocket of replies) expect(ofSocket[n]).toEqual({ error: 0, body: ran[0] })
    }
  })
})

describe('when a slot moves', () => {
  /** Every node of the cluster agrees that `address` serves `slot` (so every client's MOVED leads there). */
  const servedBy = (slot: number, port: number) =>
    eventually(async () => {
      for (const node of cluster.nodes) {
        const ranges = JSON.parse(await node.cli(['--json', 'CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number]]>
        expect(ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1]).toBe(port)
      }
    }, 30_000, 100)
  /** Both reference server nodes follow the live channel of `stream`'s bucket on `master`. */
  const followedOn = (master: RedisClusterNode, stream: string) =>
    eventually(async () => expect(await master.cli(['PUBSUB', 'SHARDNUMSUB', key.live(stream)])).toBe(`${key.live(stream)}\n2`), 30_000, 100)
  /**
   * `phone`, on node A with publication '1' of `channel`, gets node B's '2' live, then after a drop
   * recovers node A's '3' on its reconnect to node B.
   */
  async function liveAndRecovered(phone: Tracker, channel: string) {
    expect(await nodeB.push({ event: 'e', msg: '2', channel })).toEqual({ delivered: 1 })
    await eventually(() => expect(phone.of(channel)).toEqual(['1', '2']))
    phone.drop()
    await nodeA.push({ event: 'e', msg: '3', channel })
    await phone.connect(nodeB.url)
    expect(phone.recovered.get(channel)).toBe(true)
    expect(phone.of(channel)).toEqual(['1', '2', '3'])
  }

  it("a replica's CLUSTER FAILOVER: the nodes follow the new master, live and for recovery", async () => {
    const stream = 'c:room:failover'
    const master = await cluster.masterOf(key.history(stream))
    const replica = await cluster.replica(master)
    const phone = tracker('user:m1', ['room:failover'])
    await phone.connect(nodeA.url)
    await nodeB.push({ event: 'e', msg: '1', channel: 'room:failover' })
    await eventually(() => expect(phone.of('room:failover')).toEqual(['1']))

    expect(await replica.cli(['CLUSTER', 'FAILOVER'])).toBe('OK')
    await servedBy(Number(await replica.cli(['CLUSTER', 'KEYSLOT', key.history(stream)])), replica.port)
    // Both nodes' sharded subscriptions were dropped at the old master (SUNSUBSCRIBE) and made again
    // on the new one; node B's commands meet MOVED at the old master and follow it.
    await followedOn(replica, stream)
    await liveAndRecovered(phone, 'room:failover')
  }, 60_000)

  it('a slot migrated to another master (SETSLOT, MIGRATE): MOVED is followed and the sharded channel moves with it', async () => {
    const stream = 'c:room:moving'
    const phone = tracker('user:m2', ['room:moving'])
    await phone.connect(nodeA.url)
    await nodeB.push({ event: 'e', msg: '1', channel: 'room:moving' })
    await eventually(() => expect(phone.of('room:moving')).toEqual(['1']))

    const from = await cluster.masterOf(key.history(stream))
    const to = (await cluster.masters()).find((node) => node !== from)!
    const slot = Number(await from.cli(['CLUSTER', 'KEYSLOT', key.history(stream)]))
    const [fromId, toId] = await Promise.all([from.cli(['CLUSTER', 'MYID']), to.cli(['CLUSTER', 'MYID'])])
    await to.cli(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId])
    await from.cli(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId])
    const keys = (await from.cli(['CLUSTER', 'GETKEYSINSLOT', String(slot), '1000'])).split('\n').filter(Boolean)
    expect(keys).toEqual(expect.arrayContaining([key.history(stream)]))
    expect(await from.cli(['MIGRATE', '127.0.0.1', String(to.port), '', '0', '5000', 'KEYS', ...keys])).toBe('OK')
    for (const node of [to, from]) await node.cli(['CLUSTER', 'SETSLOT', String(slot), 'NODE', toId])
    await servedBy(slot, to.port)
    await followedOn(to, stream)
    await liveAndRecovered(phone, 'room:moving')
    // Three entries, then the position.
    expect(await to.cli(['LLEN', key.history(stream)])).toBe('4')
  }, 60_000)
})

// A cluster of its own: until the replica takes over (cluster-node-timeout, 15 s) the cluster
// refuses every command; and after the moves above, redis-cli refused to add a second replica to
// that cluster ("Node … is not empty": the new node held slots and keys; not understood yet).
describe('when a master dies', () => {
  let own: RedisCluster
  let nodes: ServerProcess[]
  beforeAll(async () => {
    own = await startRedisCluster(3)
    nodes = await Promise.all([0, 1].map(() => startServerProcess({ ...env, REDIS_CLUSTER: own.env })))
  }, 60_000)
  afterAll(async () => {
    for (const node of nodes ?? []) await node.kill()
    await own?.stop()
  })
  it('a master that dies, its replica promoted by the cluster: the nodes find the new master, live and for recovery', async () => {
    const stream = 'c:room:crash'
    const master = await own.masterOf(key.history(stream))
    const replica = await own.replica(master)
    const phone = tracker('user:m3', ['room:crash'])
    await phone.connect(nodes[0].url)
    await nodes[1].push({ event: 'e', msg: '1', channel: 'room:crash' })
    await eventually(() => expect(phone.of('room:crash')).toEqual(['1']))

    await master.stop()
    await eventually(async () => expect(await replica.cli(['ROLE'])).toMatch(/^master/), 60_000, 200)
    // node-redis gets no MOVED from a dead master: the nodes ask for the slots again themselves.
    await eventually(async () => expect(await replica.cli(['PUBSUB', 'SHARDNUMSUB', key.live(stream)])).toBe(`${key.live(stream)}\n2`), 30_000, 100)
    await eventually(async () => expect(await nodes[1].push({ event: 'e', msg: '2', channel: 'room:crash' })).toEqual({ delivered: 1 }), 30_000, 200)
    await eventually(() => expect(phone.of('room:crash')).toEqual(['1', '2']))
    phone.drop()
    await nodes[0].push({ event: 'e', msg: '3', channel: 'room:crash' })
    await phone.connect(nodes[1].url)
    expect(phone.recovered.get('room:crash')).toBe(true)
    expect(phone.of('room:crash')).toEqual(['1', '2', '3'])
  }, 120_000)
})
