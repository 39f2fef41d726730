import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import { signToken } from '../../examples/server/src/token'
import { SECRET, eventually, startRedis, startServerProcess, type ServerProcess } from '../support/processes'

// Two server processes sharing one redis-server: a push accepted by any node, or PUBLISHed to the
// channel by any backend, reaches the user's sockets on every node.
describe('multi-node mode through Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  let nodeA: ServerProcess
  let nodeB: ServerProcess
  const cleanups: Array<() => unknown> = []

  beforeAll(async () => {
    redis = await startRedis()
    cleanups.push(() => redis.stop())
    nodeA = await startServerProcess({ REDIS_URL: redis.url })
    cleanups.push(() => nodeA.kill())
    nodeB = await startServerProcess({ REDIS_URL: redis.url })
    cleanups.push(() => nodeB.kill())
  })

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  it('delivers pushes made on node B, or published raw, to a client on node A, and counts presence across nodes', async () => {
    const socket = createSocket({
      url: nodeA.url,
      runtime: web(WebSocket),
      login: () => ({ u: 'user:42', token: signToken(SECRET, 'user:42') }),
    })
    cleanups.push(() => socket.close())
    const received: unknown[] = []
    socket.on('location', (message) => received.push(message.msg))
    socket.connectionLoop()
    await socket.ready()

    // Presence is written by node A; node B reads it to say how many sockets the push reaches.
    await eventually(async () => expect(await nodeB.push({ event: 'location', msg: { lat: 1 }, to: 'user:42' })).toEqual({ delivered: 1 }))

    const publisher = createClient({ url: redis.url })
    publisher.on('error', () => {})
    await publisher.connect()
    cleanups.push(() => publisher.destroy())
    // What a PHP, Django or Python backend does: PUBLISH the push as JSON (msg as JSON text, like the seed's job).
    const subscribers = await publisher.publish('mp-socket:push', JSON.stringify({ event: 'location', msg: '{"lat":2}', to: 'user:42' }))
    expect(subscribers).toBe(2)
    await eventually(() => expect(received.filter((message) => (message as { lat: number }).lat === 2)).toHaveLength(1))
    expect(received[0]).toEqual({ lat: 1 })

    // A broadcast accepted by node B reaches node A's client, and B counts it (it asks every node).
    expect(await nodeB.push({ event: 'location', msg: { lat: 9 }, to: '*' })).toEqual({ delivered: 1 })
    await eventually(() => expect(received.filter((message) => (message as { lat: number }).lat === 9)).toHaveLength(1))

    const health = await (await fetch(`${nodeB.http}/health`)).json()
    expect(health.connections).toBe(0)
    socket.close()
    await eventually(async () => expect(await nodeB.push({ event: 'location', msg: 3, to: 'user:42' })).toEqual({ delivered: 0 }))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(received).toHaveLength(3)
  })

  it('keeps serving local sockets when Redis goes away', async () => {
    const socket = createSocket({
      url: nodeB.url,
      runtime: web(WebSocket),
      login: () => ({ u: 'user:43', token: signToken(SECRET, 'user:43') }),
    })
    cleanups.push(() => socket.close())
    socket.connectionLoop()
    await socket.ready()
    await redis.stop()
    expect(await socket.request('echo', 'still here')).toBe('still here')
  })
})
