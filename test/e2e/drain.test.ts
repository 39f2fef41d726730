// A node that stops cleanly (issue 18), two CLI nodes on one redis-server: on SIGTERM its presence
// is gone from Redis before it exits, and its clients, told 1012 after the close frame, move to
// the other node and get every push made meanwhile exactly once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { signToken } from '../../examples/server/src/token'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import type { ClosedError } from '../../src/errors'
import type { MpSocket } from '../../src/types'
import { rawClient } from '../support/raw'
import { SECRET, eventually, startTwoNodes, type ServerProcess } from '../support/processes'

const cleanups: Array<() => unknown> = []
let redis: Awaited<ReturnType<typeof startTwoNodes>>['redis']
let nodeA: ServerProcess
let nodeB: ServerProcess
let publisher: Awaited<ReturnType<typeof startTwoNodes>>['publisher']

beforeEach(async () => {
  ;({ redis, nodeA, nodeB, publisher } = await startTwoNodes(cleanups, { RATE_LIMIT: '0' }))
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const users = Array.from({ length: 40 }, (_, i) => `user:${100 + i}`)

describe('SIGTERM', () => {
  it("leaves no presence of the node behind: right after it exits, the other node counts none of its sockets", async () => {
    for (const user of users) {
      const client = await rawClient(nodeA.url)
      cleanups.push(() => client.close())
      expect((await client.request('login', { u: user, token: signToken(SECRET, user) })).error).toBe(0)
    }
    await eventually(async () => expect((await publisher.keys('mp-socket:online:*')).length).toBe(users.length))
    expect(await nodeA.kill('SIGTERM')).toBe(0)
    // No waiting: what a push answers the moment the node is gone.
    expect(await publisher.keys('mp-socket:online:*')).toEqual([])
    expect(await nodeB.push({ event: 'e', msg: 1, to: users })).toEqual({ delivered: 0 })
  })

  it('still exits, with 0, when Redis is gone (its presence entries then expire by themselves)', async () => {
    const client = await rawClient(nodeA.url)
    cleanups.push(() => client.close())
    expect((await client.request('login', { u: 'user:alone', token: signToken(SECRET, 'user:alone') })).error).toBe(0)
    await redis.stop()
    expect(await nodeA.kill('SIGTERM')).toBe(0)
    expect(await client.waitClose()).toEqual({ code: 1012, reason: 'server restarting' })
  })

  it('drains: clients move to the other node and get every push made meanwhile exactly once, in order', async () => {
    const channel = 'drain:room'
    const phones = await Promise.all(
      users.slice(0, 8).map(async (user) => {
        // Round robin over the nodes, as DNS or a load balancer would: the first connect goes to
        // node A; once A stops listening the next attempt is refused there and lands on B.
        let attempt = 0
        const socket: MpSocket = createSocket({
          url: () => [nodeA, nodeB][attempt++ % 2].url,
          runtime: web(WebSocket),
          login: () => ({ u: user, token: signToken(SECRET, user) }),
          heartbeat: false,
          reconnect: { minDelay: 20, maxDelay: 100 },
        })
        cleanups.push(() => socket.close())
        const got = { user: [] as string[], channel: [] as string[], closes: [] as number[] }
        socket.on('e', (message) => got.user.push(message.msg))
        socket.onStatus((status, _previous, error) => status === 'idle' && got.closes.push((error as ClosedError).code))
        const subscription = socket.subscribe(channel)
        subscription.on('e', (message) => got.channel.push(message.msg))
        socket.connectionLoop()
        await subscription.ready()
        return { user, got }
      }),
    )
    const health = async (node: ServerProcess) => (await (await fetch(`${node.http}/health`)).json()) as { connections: number }
    expect((await health(nodeA)).connections).toBe(phones.length)

    const sent: string[] = []
    let stop = false
    const pushing = (async () => {
      for (let n = 1; !stop; n++) {
        await nodeB.push({ event: 'e', msg: String(n), to: phones.map((phone) => phone.user) })
        await nodeB.push({ event: 'e', msg: String(n), channel })
        sent.push(String(n))
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    await eventually(() => expect(sent.length).toBeGreaterThan(5))
    expect(await nodeA.kill('SIGTERM')).toBe(0)
    await eventually(async () => expect((await health(nodeB)).connections).toBe(phones.length), 15_000)
    const atMove = sent.length
    await eventually(() => expect(sent.length).toBeGreaterThan(atMove + 5))
    stop = true
    await pushing

    for (const { got } of phones) {
      expect(got.closes).toEqual([1012])
      await eventually(() => expect(got.user).toEqual(sent))
      await eventually(() => expect(got.channel).toEqual(sent))
    }
  })
})
