import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { signToken } from '../../examples/server/src/token'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import type { Recovery } from '../../src/types'
import type { MpSocket } from '../../src/types'
import { range, useCluster } from '../support/cluster'
import { SECRET, eventually, startProxy, type ServerProcess } from '../support/processes'

// The SDK's side of recovery (issue 12), in the shape of socket.io's redis-streams-adapter test:
// three reference server processes on one redis-server; the client's socket is cut without a
// close frame; messages 1..N go to its user and to a channel it follows, through different nodes
// and raw Redis; it reconnects to another node, and its handlers get exactly 1..N, once, in order.
describe('SDK recovery across nodes', () => {
  const cluster = useCluster()
  const { each, publish } = cluster

  /**
   * A phone on the SDK whose first connection goes through a TCP proxy to node A; `url()` waits on
   * a gate, so the test decides when (and to which node) it reconnects.
   */
  async function phone(user: string, channel: string) {
    const proxy = await startProxy(cluster.nodes[0].port)
    each.push(() => proxy.close())
    let target = proxy.url
    let gate: Promise<void> = Promise.resolve()
    const got = { user: [] as string[], channel: [] as string[], logins: [] as Recovery[], subscribed: [] as Recovery[] }
    const socket: MpSocket = createSocket({
      url: () => gate.then(() => target),
      runtime: web(WebSocket),
      login: () => ({ u: user, token: signToken(SECRET, user) }),
      heartbeat: false,
      debug: process.env.DEBUG_SDK ? true : false,
      reconnect: { minDelay: 20, maxDelay: 50 },
    })
    each.push(() => socket.close())
    socket.on('e', (message) => got.user.push(message.msg))
    socket.onLoggedIn((recovery) => got.logins.push(recovery))
    const subscription = socket.subscribe(channel)
    subscription.on('e', (message) => got.channel.push(message.msg))
    subscription.onSubscribed((recovery) => got.subscribed.push(recovery))
    socket.connectionLoop()
    await subscription.ready()
    return {
      socket,
      subscription,
      got,
      /** Cuts the socket without a close frame; the next connect waits until `reconnect()`. */
      drop(to: ServerProcess) {
        let open!: () => void
        gate = new Promise<void>((resolve) => (open = resolve))
        target = to.url
        proxy.cut()
        return () => open()
      },
    }
  }

  it('exactly 1..N, once each, in order, recovered: true, on another node', async () => {
    const { socket, got, drop } = await phone('user:1', 'courier:1')
    expect(got.logins).toEqual([{ recovered: false }])
    expect(got.subscribed).toEqual([{ recovered: false }])
    const reconnect = drop(cluster.nodes[2])
    await eventually(() => expect(socket.status).not.toBe('online'))
    const N = 9
    for (let n = 1; n <= N; n++) await publish(n, 'user:1', 'courier:1')
    reconnect()
    await eventually(() => expect(got.channel).toEqual(range(1, N)))
    await publish(N + 1, 'user:1', 'courier:1')
    await eventually(() => expect(got.channel).toEqual(range(1, N + 1)))
    expect(got.user).toEqual(range(1, N + 1))
    expect(got.logins.at(-1)).toEqual({ recovered: true })
    expect(got.subscribed.at(-1)).toEqual({ recovered: true })
  })

  it('even when nothing arrived before the drop (positions come with login and subscribe)', async () => {
    const { got, drop } = await phone('user:2', 'courier:2')
    const reconnect = drop(cluster.nodes[1])
    await publish(1, 'user:2', 'courier:2')
    await publish(2, 'user:2', 'courier:2')
    reconnect()
    await eventually(() => expect(got.channel).toEqual(['1', '2']))
    expect(got.user).toEqual(['1', '2'])
    expect(got.subscribed.at(-1)).toEqual({ recovered: true })
  })

  it('Redis flushed while away: recovered: false, and no duplicates afterwards', async () => {
    const { got, drop } = await phone('user:3', 'courier:3')
    await publish(1, 'user:3', 'courier:3')
    await eventually(() => expect(got.channel).toEqual(['1']))
    const reconnect = drop(cluster.nodes[2])
    await cluster.publisher.flushAll()
    reconnect()
    // The first login and subscribe said recovered: false too: wait for the second ones, or the
    // pushes below would be published while the phone is away (and be lost, as recovery cannot be).
    await eventually(() => expect(got.subscribed).toEqual([{ recovered: false }, { recovered: false }]))
    expect(got.logins).toEqual([{ recovered: false }, { recovered: false }])
    await cluster.nodes[1].push({ event: 'e', msg: 'after', channel: 'courier:3' })
    await cluster.nodes[1].push({ event: 'e', msg: 'after', to: 'user:3' })
    await eventually(() => expect(got.channel).toEqual(['1', 'after']))
    await eventually(() => expect(got.user).toEqual(['1', 'after']))
  })

  it('a channel the server does not allow rejects ready() and is not retried; unsubscribe stops delivery', async () => {
    const { socket, subscription, got } = await phone('user:4', 'courier:4')
    await expect(socket.subscribe('secret channel\u0001').ready()).rejects.toMatchObject({ name: 'ServerError', code: 400 })
    subscription.unsubscribe()
    subscription.unsubscribe()
    await cluster.nodes[1].push({ event: 'e', msg: 'unseen', channel: 'courier:4' })
    await cluster.nodes[1].push({ event: 'e', msg: 'seen', to: 'user:4' })
    await eventually(() => expect(got.user).toEqual(['seen']))
    expect(got.channel).toEqual([])
  })
})
