// One library under the fault schedule, in a process of its own:
//   node bench/faults-client.mjs <mp|socketio> <port> <clients> <requests> <cutEvery>
// Every client makes <requests> calls of `work` (a handler of 5 ms that counts its runs by key),
// two in flight, through a TCP proxy in this process that resets every connection every
// <cutEvery> ms until all calls settled (at most 2,000 times). Then it reads the server's counts
// over a connection of its own and prints one JSON line: calls that resolved, calls that failed
// (by error name, and how many of them had run), keys run more than once and the extra runs, keys never run.
import { connect, createServer } from 'node:net'
import { io } from 'socket.io-client'
import { WebSocket } from 'ws'
import { createSocket, web } from '../dist/index.mjs'
import { signToken } from '../examples/server/dist/index.mjs'

const [library, port, clientsArg, requestsArg, cutEveryArg] = process.argv.slice(2)
const clients = Number(clientsArg)
const requests = Number(requestsArg)
const cutEvery = Number(cutEveryArg)

/** A proxy to the server whose `cut()` resets every connection through it. */
async function startProxy() {
  const pairs = new Set()
  const server = createServer((client) => {
    const upstream = connect(Number(port), '127.0.0.1')
    const pair = [client, upstream]
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    for (const socket of pair) socket.on('close', end).on('error', end)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: server.address().port,
    cut() {
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy()
        upstream.destroy()
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

/** A client of `library` at `target`: `call(key)` resolves with the reply or rejects. */
async function connectClient(target, user) {
  if (library === 'mp') {
    const login = () => ({ u: user, token: signToken('bench', user) })
    // Defaults but for the queue: every call is made at once, more than 100 may wait while offline.
    const socket = createSocket({ url: `ws://127.0.0.1:${target}/ws`, runtime: web(WebSocket), login, queue: { max: 10_000 } })
    socket.connectionLoop()
    await socket.ready()
    return { call: (event, data) => socket.request(event, data), close: () => socket.close() }
  }
  // socket.io's own answer to lost acknowledgements: `retries` resends an unacknowledged packet
  // after `ackTimeout` (at-least-once, socket.io#5334), packets go one at a time.
  const socket = io(`http://127.0.0.1:${target}`, { transports: ['websocket'], retries: 3, ackTimeout: 2000 })
  await new Promise((resolve) => socket.once('connect', resolve))
  return { call: (event, data) => (data === undefined ? socket.emitWithAck(event) : socket.emitWithAck(event, data)), close: () => socket.close() }
}

const proxy = await startProxy()
const all = await Promise.all(Array.from({ length: clients }, (_, c) => connectClient(proxy.port, `user:${c}`)))
const outcomes = new Map()
let settled = false
const load = Promise.all(
  all.map(async (client, c) => {
    let next = 0
    await Promise.all(
      [0, 1].map(async () => {
        while (next < requests) {
          const key = `${c}-${next++}`
          outcomes.set(key, await client.call('work', { key, ms: 5 }).then((value) => (value === key ? 'ok' : 'wrong reply'), (error) => error.name || String(error)))
        }
      }),
    )
  }),
).finally(() => (settled = true))
let cuts = 0
while (!settled && cuts < 2000) {
  await new Promise((resolve) => setTimeout(resolve, cutEvery))
  if (!settled) proxy.cut(), cuts++
}
await load
for (const client of all) client.close()
await proxy.close()

const reader = await connectClient(Number(port), 'user:reader')
const runs = new Map(await reader.call('runs'))
reader.close()
const failed = [...outcomes].filter(([, outcome]) => outcome !== 'ok').map(([key]) => key)
const failedBy = {}
for (const key of failed) failedBy[outcomes.get(key)] = (failedBy[outcomes.get(key)] || 0) + 1
const repeated = [...runs].filter(([, count]) => count > 1)
console.log(
  JSON.stringify({
    calls: outcomes.size,
    resolved: outcomes.size - failed.length,
    failed: failed.length,
    failedBy,
    failedButRan: failed.filter((key) => runs.has(key)).length,
    duplicatedKeys: repeated.length,
    extraRuns: repeated.reduce((sum, [, count]) => sum + count - 1, 0),
    neverRan: [...outcomes.keys()].filter((key) => !runs.has(key)).length,
    cuts,
  }),
)
process.exit(0)
