// Concurrent duplicates (issue 17): the same request id written on several sockets at once, raw
// frames, against reference server nodes as their own processes. The first arrival runs it; the
// others wait for its reply, on the same node (in memory) or on another one (through Redis).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signToken } from '../../examples/server/src/token'
import { COUNTING_NODE, runsOf } from '../support/exactly-once'
import { SECRET, startRedis, startServerProcess, type ServerProcess } from '../support/processes'
import { rawClient } from '../support/raw'

const IDS = 20
let redis: Awaited<ReturnType<typeof startRedis>>
const cleanups: Array<() => unknown> = []

beforeAll(async () => {
  redis = await startRedis()
  cleanups.push(() => redis.stop())
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function node(env: Record<string, string>) {
  const started = await startServerProcess(env, 0, COUNTING_NODE)
  cleanups.push(() => started.kill())
  return started
}

async function loggedIn(target: ServerProcess, user: string) {
  const client = await rawClient(target.url)
  cleanups.push(() => client.close())
  client.send({ event: 'login', data: { u: user, token: signToken(SECRET, user) }, uuid: 'login' })
  const reply = await client.waitFor((message) => message.type === 'respon' && message.event === 'login')
  expect(reply.data.error).toBe(0)
  return client
}

/**
 * Writes request `dup-<n>` (n < IDS) on every socket at once, a handler run of 100 ms whose key
 * (`keyOf(socket, n)`) tells which socket's frame ran; resolves with every socket's replies by n.
 */
async function duplicates(sockets: Array<Awaited<ReturnType<typeof rawClient>>>, keyOf: (socket: number, n: number) => string) {
  for (let n = 0; n < IDS; n++) sockets.forEach((socket, s) => socket.send({ event: 'work', data: { key: keyOf(s, n), ms: 100 }, uuid: `dup-${n}` }))
  return Promise.all(
    sockets.map((socket) =>
      Promise.all(
        Array.from({ length: IDS }, (_, n) =>
          socket.waitFor((message) => message.type === 'respon' && message.event === `dup-${n}`, 30_000).then((reply) => reply.data),
        ),
      ),
    ),
  )
}

describe('the same request id on several sockets at once', () => {
  it('on one node (in memory): it runs once, and every socket gets its reply', async () => {
    const url = `${redis.url}/1`
    const single = await node({ COUNTER_URL: url })
    const sockets = await Promise.all([0, 1, 2].map(() => loggedIn(single, 'user:1')))
    // Every socket asks with its own data: only the first arrival's runs, the others get its reply.
    const replies = await duplicates(sockets, (s, n) => `memory-${n}-${s}`)
    const runs = await runsOf(url)
    expect(runs.size).toBe(IDS)
    for (let n = 0; n < IDS; n++) {
      const ran = [0, 1, 2].map((s) => `memory-${n}-${s}`).filter((key) => runs.has(key))
      expect(ran).toHaveLength(1)
      expect(runs.get(ran[0])!.total).toBe(1)
      for (const ofSocket of replies) expect(ofSocket[n]).toEqual({ error: 0, body: ran[0] })
    }
  })

  it('on two nodes sharing Redis, and another user with the same ids: once per user, no reply crosses users', async () => {
    const url = `${redis.url}/2`
    const nodes = [await node({ REDIS_URL: url, COUNTER_URL: url }), await node({ REDIS_URL: url, COUNTER_URL: url })]
    const mine = await Promise.all([nodes[0], nodes[1], nodes[0], nodes[1]].map((target) => loggedIn(target, 'user:2')))
    const theirs = await loggedIn(nodes[1], 'user:3')
    const replies = await duplicates([...mine, theirs], (s, n) => (s < mine.length ? `mine-${n}-${s}` : `theirs-${n}`))
    const runs = await runsOf(url)
    expect(runs.size).toBe(IDS * 2)
    for (let n = 0; n < IDS; n++) {
      const ran = mine.map((_, s) => `mine-${n}-${s}`).filter((key) => runs.has(key))
      expect(ran).toHaveLength(1)
      expect(runs.get(ran[0])!.total).toBe(1)
      for (const ofSocket of replies.slice(0, mine.length)) expect(ofSocket[n]).toEqual({ error: 0, body: ran[0] })
      expect(runs.get(`theirs-${n}`)!.total).toBe(1)
      expect(replies[mine.length][n]).toEqual({ error: 0, body: `theirs-${n}` })
    }
  })
})
