import { describe, expect, it } from 'vitest'
import { redisKeys } from '../../examples/server/src/redis-keys'
import { range, useCluster } from '../support/cluster'
import { storedHistory } from '../support/history'
import { SECRET, eventually, startServerProcess } from '../support/processes'
import { Tracker } from '../support/tracker'

const key = redisKeys('mp-socket')

// The shape of socket.io's redis-streams-adapter recovery test, on three reference server
// processes sharing one redis-server: a client drops without a close frame, messages are published
// to its user and to a channel it follows through different nodes and through raw Redis, and it
// reconnects to another node.
const INGEST = JSON.stringify([{ from: 'tracking_updates', event: 'location', channel: 'courier:{user_id}' }])

describe('recovery across nodes (history in Redis)', () => {
  const cluster = useCluster({ MP_INGEST: INGEST })
  const { each, offsetOf, publish } = cluster

  function tracker(user: string, channels: string[]) {
    const t = new Tracker(user, SECRET, channels)
    each.push(() => t.drop())
    return t
  }

  it('a client that drops and reconnects to another node gets exactly 1..N, once each, in order, recovered: true', async () => {
    const phone = tracker('user:1', ['courier:1'])
    await phone.connect(cluster.nodes[0].url)
    phone.drop()
    await eventually(async () => expect((await (await fetch(`${cluster.nodes[0].http}/health`)).json()).connections).toBe(0))
    const N = 12
    for (let n = 1; n <= N; n++) await publish(n, 'user:1', 'courier:1')
    await phone.connect(cluster.nodes[2].url)
    expect(phone.recovered.get('user')).toBe(true)
    expect(phone.recovered.get('courier:1')).toBe(true)
    await publish(N + 1, 'user:1', 'courier:1')
    await eventually(() => expect(phone.of('courier:1')).toEqual(range(1, N + 1)))
    expect(phone.of('user')).toEqual(range(1, N + 1))
    expect(phone.duplicates).toBe(0)
  })

  it('recovered: false and no duplicates when the offset is older than the trimmed stream, or Redis was flushed', async () => {
    const phone = tracker('user:2', ['courier:2'])
    await phone.connect(cluster.nodes[0].url)
    await cluster.nodes[1].push({ event: 'e', msg: 'first', to: 'user:2' })
    await eventually(() => expect(phone.of('user')).toEqual(['first']))
    phone.drop()
    // A node that keeps 10 entries trims the stream to exactly 10: the phone missed 11.
    const trimmed = await startServerProcess({ ...cluster.env, HISTORY_SIZE: '10' })
    each.push(() => trimmed.kill())
    for (let n = 0; n < 11; n++) await trimmed.push({ event: 'e', msg: `t${n}`, to: 'user:2' })
    expect((await storedHistory(cluster.publisher, 'u:user:2'))?.entries).toHaveLength(10)
    await phone.connect(cluster.nodes[1].url)
    expect(phone.recovered.get('user')).toBe(false)
    expect(phone.of('user')).toEqual(['first'])

    await cluster.nodes[1].push({ event: 'e', msg: 'before flush', channel: 'courier:2' })
    await eventually(() => expect(phone.of('courier:2')).toEqual(['before flush']))
    phone.drop()
    await cluster.publisher.flushAll()
    await cluster.nodes[2].push({ event: 'e', msg: 'after flush', channel: 'courier:2' })
    await phone.connect(cluster.nodes[2].url)
    expect(phone.recovered.get('courier:2')).toBe(false)
    await cluster.nodes[0].push({ event: 'e', msg: 'live', channel: 'courier:2' })
    await eventually(() => expect(phone.of('courier:2')).toEqual(['before flush', 'live']))
    expect(phone.duplicates).toBe(0)
  })

  it('entries of a newer epoch are never replayed as the client\'s: Redis flushed, then more published than the client had', async () => {
    const phone = tracker('user:7', ['courier:8'])
    await phone.connect(cluster.nodes[0].url)
    for (const msg of ['a', 'b']) await cluster.nodes[1].push({ event: 'e', msg, channel: 'courier:8' })
    await eventually(() => expect(phone.of('courier:8')).toEqual(['a', 'b']))
    const old = phone.positions.get('courier:8')
    phone.drop()
    await cluster.publisher.flushAll()
    // The new epoch has offsets 1, 2, 3: its 3 comes right after the client's 2, in another epoch.
    for (const msg of ['x', 'y', 'z']) await cluster.nodes[1].push({ event: 'e', msg, channel: 'courier:8' })
    await phone.connect(cluster.nodes[2].url)
    expect(phone.recovered.get('courier:8')).toBe(false)
    expect(phone.positions.get('courier:8')).toEqual({ epoch: expect.any(String), offset: 3 })
    expect(phone.positions.get('courier:8')?.epoch).not.toBe(old?.epoch)
    await cluster.nodes[0].push({ event: 'e', msg: 'live', channel: 'courier:8' })
    await eventually(() => expect(phone.of('courier:8')).toEqual(['a', 'b', 'live']))
    expect(phone.duplicates).toBe(0)
  })

  it('a push that starts its stream\'s epoch is not stored (nobody can be at offset 0 of it); the next ones are, and are recovered', async () => {
    // Nobody follows user:40: its first push starts the epoch at offset 1, with no stream to hold it.
    expect(await cluster.nodes[0].push({ event: 'e', msg: '1', to: 'user:40' })).toEqual({ delivered: 0 })
    // Its history key holds the position alone, as a string: no list, no entry.
    expect(await storedHistory(cluster.publisher, 'u:user:40')).toEqual({ type: 'string', epoch: expect.any(String), offset: 1, entries: [] })
    const phone = tracker('user:40', [])
    await phone.connect(cluster.nodes[1].url)
    expect(phone.positions.get('user')).toEqual({ epoch: expect.any(String), offset: 1 })
    phone.drop()
    for (const msg of ['2', '3']) await cluster.nodes[2].push({ event: 'e', msg, to: 'user:40' })
    expect(await storedHistory(cluster.publisher, 'u:user:40')).toMatchObject({ type: 'list', offset: 3, entries: [expect.stringContaining('"2"'), expect.stringContaining('"3"')] })
    await phone.connect(cluster.nodes[0].url)
    expect(phone.recovered.get('user')).toBe(true)
    expect(phone.of('user')).toEqual(['2', '3'])
    expect(phone.duplicates).toBe(0)
  })

  it('presence: the sockets of a node killed with SIGKILL stop counting once its entries pass their time', async () => {
    // The crashed node's entries last PRESENCE_TTL seconds after its last refresh (90 s by default).
    const victim = await startServerProcess({ ...cluster.env, PRESENCE_TTL: '2' })
    each.push(() => victim.kill())
    const onVictim = tracker('user:30', [])
    const onSurvivor = tracker('user:30', [])
    await onVictim.connect(victim.url)
    await onSurvivor.connect(cluster.nodes[0].url)
    // Presence is written right after each login, without holding the login up.
    await eventually(async () => expect(await cluster.publisher.hLen('mp-socket:online:user:30')).toBe(2))
    expect(await cluster.nodes[1].push({ event: 'e', msg: 'both', to: 'user:30' })).toEqual({ delivered: 2 })
    await victim.kill('SIGKILL')
    await eventually(async () => expect(await cluster.nodes[1].push({ event: 'e', msg: 'one', to: 'user:30' })).toEqual({ delivered: 1 }), 10_000, 250)
    // The reader deleted the dead node's entry; the survivor's stays.
    expect(await cluster.publisher.hLen('mp-socket:online:user:30')).toBe(1)
    await eventually(() => expect(onSurvivor.of('user').at(-1)).toBe('one'))
  })

  it('history key evicted or deleted: a new epoch from 0, nothing stale replayed, publishing goes on', async () => {
    const phone = tracker('user:5', ['courier:5'])
    await phone.connect(cluster.nodes[0].url)
    for (const msg of ['a', 'b', 'c']) await cluster.nodes[1].push({ event: 'e', msg, channel: 'courier:5' })
    await eventually(() => expect(phone.of('courier:5')).toEqual(['a', 'b', 'c']))
    const old = phone.positions.get('courier:5')
    phone.drop()
    // What maxmemory eviction does: the key goes, and with it the entries and their epoch at once.
    expect((await storedHistory(cluster.publisher, 'c:courier:5'))?.entries).toHaveLength(3)
    expect(await cluster.publisher.del(key.history('c:courier:5'))).toBe(1)
    await phone.connect(cluster.nodes[2].url)
    expect(phone.recovered.get('courier:5')).toBe(false)
    const fresh = phone.positions.get('courier:5')
    expect(fresh).toEqual({ epoch: expect.any(String), offset: 0 })
    expect(fresh?.epoch).not.toBe(old?.epoch)
    // The new epoch's first publication is stored and delivered at offset 1.
    await cluster.nodes[0].push({ event: 'e', msg: 'd', channel: 'courier:5' })
    await eventually(() => expect(phone.of('courier:5')).toEqual(['a', 'b', 'c', 'd']))
    expect(phone.positions.get('courier:5')).toEqual({ epoch: fresh?.epoch, offset: 1 })
    // Recovering the new epoch from its start gives its own entries only, never the lost epoch's.
    const late = tracker('user:6', ['courier:5'])
    late.positions.set('courier:5', { epoch: String(fresh?.epoch), offset: 0 })
    await late.connect(cluster.nodes[1].url)
    expect(late.recovered.get('courier:5')).toBe(true)
    await eventually(() => expect(late.of('courier:5')).toEqual(['d']))
    expect(phone.duplicates + late.duplicates).toBe(0)
  })

  it('ingest: a backend payload on its own channel is stored once and delivered once whatever the number of nodes', async () => {
    const dispatchers = [tracker('user:10', ['courier:7']), tracker('user:11', ['courier:7']), tracker('user:12', ['courier:7'])]
    await Promise.all(dispatchers.map((d, i) => d.connect(cluster.nodes[i].url)))
    const before = await offsetOf('c:courier:7')
    // Seed 000's PHP: Redis::publish('tracking_updates', json_encode([...])); twice the same point.
    const point = JSON.stringify({ user_id: 7, lat: 1.5, lng: 2.5, timestamp: 1 })
    expect(await cluster.publisher.publish('tracking_updates', point)).toBe(3)
    expect(await cluster.publisher.publish('tracking_updates', point)).toBe(3)
    expect(await cluster.publisher.publish('tracking_updates', JSON.stringify({ nobody: true }))).toBe(3)
    await eventually(() => dispatchers.forEach((d) => expect(d.of('courier:7')).toHaveLength(2)))
    await new Promise((resolve) => setTimeout(resolve, 200))
    for (const d of dispatchers) expect(d.of('courier:7')).toEqual([point, point])
    expect(await offsetOf('c:courier:7')).toBe(before + 2)
  })

  it('a node killed with SIGKILL mid-stream: its clients move to the others and lose nothing', async () => {
    const victim = await startServerProcess(cluster.env)
    each.push(() => victim.kill())
    const phones = Array.from({ length: 20 }, (_, i) => tracker(`user:${100 + i}`, ['fleet']))
    await Promise.all(phones.map((phone) => phone.connect(victim.url)))
    const N = 40
    let published = 0
    const publishing = (async () => {
      for (let n = 1; n <= N; n++) {
        await cluster.nodes[1].push({ event: 'e', msg: String(n), channel: 'fleet' })
        published = n
        if (n === 15) await victim.kill('SIGKILL')
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    await eventually(() => expect(published).toBeGreaterThanOrEqual(15))
    // Each phone notices and reconnects to a surviving node, presenting its positions.
    await Promise.all(phones.map((phone, i) => eventually(() => phone.connect(cluster.nodes[i % 3].url), 10_000, 100)))
    await publishing
    for (const phone of phones) {
      await eventually(() => expect(phone.of('fleet')).toEqual(range(1, N)))
      expect(phone.recovered.get('fleet')).toBe(true)
      expect(phone.duplicates).toBe(0)
    }
  })
})
