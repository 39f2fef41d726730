// Kicking a user from anywhere (issue 18): `POST /disconnect` on any node, `{"disconnect": …}`
// published on the push channel, `server.disconnect()`, against two CLI nodes on one redis-server
// (and an in-process node beside them); the SDK client stops with KickedError and stays off.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createServer, type ReferenceServer } from '../../examples/server/src/index'
import { signToken } from '../../examples/server/src/token'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import { KickedError } from '../../src/errors'
import type { MpSocket } from '../../src/types'
import { PUSH_SECRET, SECRET, eventually, startTwoNodes, type ServerProcess } from '../support/processes'

let redis: Awaited<ReturnType<typeof startTwoNodes>>['redis']
let nodeA: ServerProcess
let nodeB: ServerProcess
let publisher: Awaited<ReturnType<typeof startTwoNodes>>['publisher']
const cleanups: Array<() => unknown> = []
const each: Array<() => unknown> = []

beforeAll(async () => {
  ;({ redis, nodeA, nodeB, publisher } = await startTwoNodes(cleanups))
})
afterEach(async () => {
  for (const cleanup of each.splice(0).reverse()) await cleanup()
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

/** An SDK client of `user` on `url`, online; the error it last went idle with (if any) in `stopped`. */
async function phone(url: string, user: string) {
  const socket: MpSocket = createSocket({
    url,
    runtime: web(WebSocket),
    login: () => ({ u: user, token: signToken(SECRET, user) }),
    reconnect: { minDelay: 20, maxDelay: 50 },
  })
  each.push(() => socket.close())
  const seen = { stopped: undefined as unknown, connects: 0 }
  socket.onStatus((status, _previous, error) => {
    if (status === 'connecting') seen.connects++
    if (status === 'idle') seen.stopped = error
  })
  socket.connectionLoop()
  await socket.ready()
  return { socket, seen }
}

async function post(node: ServerProcess, path: string, body: string, bearer = PUSH_SECRET) {
  const response = await fetch(`${node.http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body,
  })
  return { status: response.status, body: await response.json() }
}

/** Sockets of `user` on every node, from presence (node B counts through Redis). */
const online = async (user: string) => (await nodeB.push({ event: 'probe', msg: null, to: user })).delivered

/** Waits long enough for a client that was going to reconnect to have done so (its backoff is 20-50 ms). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 600))

describe('POST /disconnect and the Redis disconnect message', () => {
  it('kicks every socket of a user on every node, counts them, and the clients stay off with KickedError', async () => {
    const onA = await phone(nodeA.url, 'user:6')
    const onB = await phone(nodeB.url, 'user:6')
    const bystander = await phone(nodeA.url, 'user:7')
    await eventually(async () => expect(await online('user:6')).toBe(2))

    expect(await post(nodeB, '/disconnect', JSON.stringify({ to: 'user:6', reason: 'logged in elsewhere' }))).toEqual({ status: 200, body: { disconnected: 2 } })
    for (const { seen } of [onA, onB]) {
      await eventually(() => expect(seen.stopped).toBeInstanceOf(KickedError))
      expect(seen.stopped).toMatchObject({ code: 4409, reason: 'logged in elsewhere' })
    }
    const connects = [onA.seen.connects, onB.seen.connects]
    await settle()
    expect([onA.seen.connects, onB.seen.connects]).toEqual(connects)
    await eventually(async () => expect(await online('user:6')).toBe(0))
    expect(await bystander.socket.request('echo', 'still here')).toBe('still here')
  })

  it('takes an array of users, and a user nobody is connected as counts 0', async () => {
    const eight = await phone(nodeA.url, 'user:8')
    const nine = await phone(nodeB.url, 'user:9')
    expect(await post(nodeA, '/disconnect', JSON.stringify({ to: ['user:8', 'user:9', 'user:nobody'], code: 4409 }))).toEqual({ status: 200, body: { disconnected: 2 } })
    await eventually(() => expect([eight.seen.stopped, nine.seen.stopped].every((error) => error instanceof KickedError)).toBe(true))
    expect(await post(nodeA, '/disconnect', JSON.stringify({ to: 'user:nobody' }))).toEqual({ status: 200, body: { disconnected: 0 } })
  })

  it('obeys {"disconnect": …} published on the push channel by any backend, on every node', async () => {
    const onA = await phone(nodeA.url, 'user:10')
    const onB = await phone(nodeB.url, 'user:10')
    await publisher.publish('mp-socket:push', JSON.stringify({ disconnect: { to: 'user:10', code: 4409, reason: 'banned' } }))
    for (const { seen } of [onA, onB]) {
      await eventually(() => expect(seen.stopped).toBeInstanceOf(KickedError))
      expect(seen.stopped).toMatchObject({ code: 4409, reason: 'banned' })
    }
  })

  it('refuses a wrong bearer and malformed orders with a typed 4xx, and closes nothing', async () => {
    const target = await phone(nodeA.url, 'user:11')
    const good = JSON.stringify({ to: 'user:11' })
    expect(await post(nodeA, '/disconnect', good, 'wrong')).toEqual({ status: 401, body: { error: 'bad or missing bearer token' } })
    expect((await fetch(`${nodeA.http}/disconnect`)).status).toBe(405)
    const malformed: Array<[string, string]> = [
      ['not json', 'expected a JSON body'],
      ['[]', 'expected {"to": "user:6" | ["user:6", ...], "code"?, "reason"?}'],
      ['{}', '"to" must be a user or a non-empty array of users'],
      ['{"to": []}', '"to" must be a user or a non-empty array of users'],
      ['{"to": ["user:11", 5]}', '"to" must be a user or a non-empty array of users'],
      ['{"to": "*"}', '"to" names users: "*" is not one'],
      ['{"to": "user:11", "code": 1006}', '"code" must be a close code: 1000-1003, 1007-1014 or 3000-4999'],
      ['{"to": "user:11", "code": "4409"}', '"code" must be a close code: 1000-1003, 1007-1014 or 3000-4999'],
      [JSON.stringify({ to: 'user:11', reason: 'x'.repeat(124) }), '"reason" must be a string of at most 123 bytes'],
    ]
    for (const [body, error] of malformed) expect(await post(nodeB, '/disconnect', body), body).toEqual({ status: 400, body: { error } })
    // The same mistakes over Redis are logged and dropped.
    for (const order of [{ to: 5 }, { to: '*' }, { to: 'user:11', code: 1006 }, 'user:11']) {
      await publisher.publish('mp-socket:push', JSON.stringify({ disconnect: order }))
    }
    await settle()
    expect(target.seen.stopped).toBeUndefined()
    expect(target.socket.status).toBe('online')
    expect(await online('user:11')).toBe(1)
  })

  it("server.disconnect() of an in-process node reaches the CLI nodes' sockets", async () => {
    const server: ReferenceServer = createServer({ secret: SECRET, redisUrl: redis.url })
    await server.listen()
    each.push(() => server.close())
    const remote = await phone(nodeA.url, 'user:12')
    const local = await phone(`ws://127.0.0.1:${server.port}/ws`, 'user:12')
    expect(await server.disconnect('user:12', 4409, 'logged in elsewhere')).toBe(2)
    await eventually(() => expect([remote.seen.stopped, local.seen.stopped].every((error) => error instanceof KickedError)).toBe(true))
    await expect(server.disconnect('*')).rejects.toThrow(TypeError)
  })
})

describe('push counts across nodes', () => {
  it("a channel push answers the followers of every node, a broadcast everyone's sockets", async () => {
    const onA = await phone(nodeA.url, 'user:13')
    const onB = await phone(nodeB.url, 'user:14')
    await Promise.all([onA, onB].map(({ socket }) => socket.subscribe('room:1').ready()))
    expect(await nodeA.push({ event: 'e', msg: 1, channel: 'room:1' })).toEqual({ delivered: 2 })
    expect(await nodeB.push({ event: 'e', msg: 2, to: '*' })).toEqual({ delivered: 2 })
  })
})
