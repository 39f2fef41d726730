import { join } from 'node:path'
import { createClient } from 'redis'
import { WebSocket } from 'ws'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import type { MpSocket } from '../../src/types'

/** The reference server with a `work` handler that counts its runs in Redis (see the file). */
export const COUNTING_NODE = join(__dirname, 'counting-node.mjs')

/** An SDK client as apps run it, with short reconnect delays: the tests cut connections often. */
export function workClient(url: string, user: string, token: (user: string) => string): MpSocket {
  const socket = createSocket({
    url,
    runtime: web(WebSocket),
    login: () => ({ u: user, token: token(user) }),
    heartbeat: false,
    reconnect: { minDelay: 20, maxDelay: 200 },
    requestTimeout: 60_000,
    queue: { max: 1000 },
  })
  socket.connectionLoop()
  return socket
}

export interface Outcome {
  key: string
  value?: unknown
  error?: Error
}

/**
 * `requests` calls of `work` per client, `inFlight` at a time each, keys `<client>-<n>`; resolves
 * once every call settled, with what each got. `done` counts them as they settle. Each call's
 * handler waits `ms` before its effect and `after` ms after it (see counting-node.mjs).
 */
export async function load(clients: MpSocket[], requests: number, inFlight: number, ms: number, done = { count: 0 }, after = 0) {
  const outcomes: Outcome[] = []
  await Promise.all(
    clients.map(async (client, c) => {
      let next = 0
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < requests) {
            const key = `${c}-${next++}`
            await client.request('work', { key, ms, after }).then(
              (value) => outcomes.push({ key, value }),
              (error: Error) => outcomes.push({ key, error }),
            )
            done.count++
          }
        }),
      )
    }),
  )
  return outcomes
}

/** Runs of each key, over every node's hash (`runs:<port>`), and on which ports. */
export async function runsOf(redisUrl: string) {
  const redis = createClient({ url: redisUrl })
  redis.on('error', () => {})
  await redis.connect()
  try {
    const runs = new Map<string, { total: number; ports: string[] }>()
    for (const hash of await redis.keys('runs:*')) {
      const port = hash.slice('runs:'.length)
      for (const [key, count] of Object.entries(await redis.hGetAll(hash))) {
        const entry = runs.get(key) ?? { total: 0, ports: [] }
        entry.total += Number(count)
        for (let i = 0; i < Number(count); i++) entry.ports.push(port)
        runs.set(key, entry)
      }
    }
    return runs
  } finally {
    redis.destroy()
  }
}

/** The idempotent effect of each key (see counting-node.mjs): how often it was made. */
export async function effectsOf(redisUrl: string) {
  const redis = createClient({ url: redisUrl })
  redis.on('error', () => {})
  await redis.connect()
  try {
    return new Map(Object.entries(await redis.hGetAll('effects')).map(([key, count]) => [key, Number(count)]))
  } finally {
    redis.destroy()
  }
}

/** Every key `0-0` ... `<clients - 1>-<requests - 1>`. */
export const allKeys = (clients: number, requests: number) =>
  Array.from({ length: clients * requests }, (_, i) => `${Math.floor(i / requests)}-${i % requests}`).sort()
