// One throughput/latency measurement in a process of its own:
//   node bench/client.mjs <mp|socketio|raw|raw-reference> <port> <concurrency> <requests> [server pid]
// Prints one JSON line: requests/s, latency percentiles in ms, the CPU time in µs per request of
// this process and (given its pid) of the server's, and the % of the machine's CPU time the
// hypervisor stole (`steal`, Linux), over the timed run only.
import { io } from 'socket.io-client'
import { WebSocket } from 'ws'
import { cpuMs, machineTicks, stolenSince } from './lib.mjs'
import { createSocket, web } from '../dist/index.mjs'
import { signToken } from '../examples/server/dist/index.mjs'

const [library, port, concurrencyArg, requestsArg, serverPid] = process.argv.slice(2)
const concurrency = Number(concurrencyArg)
const requests = Number(requestsArg)
const payload = { text: 'hello', n: 42 }

async function connect() {
  if (library === 'mp') {
    const login = () => ({ u: 'user:bench', token: signToken('bench', 'user:bench') })
    const socket = createSocket({ url: `ws://127.0.0.1:${port}/ws`, runtime: web(WebSocket), login, heartbeat: false, requestTimeout: 60_000, queue: { max: 1000 } })
    socket.connectionLoop()
    await socket.ready()
    return { call: () => socket.request('echo', payload), close: () => socket.close() }
  }
  if (library === 'socketio') {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'] })
    await new Promise((resolve) => socket.once('connect', resolve))
    return { call: () => socket.emitWithAck('echo', payload), close: () => socket.close() }
  }
  // Hand-written client: counter ids, a Map of pending promises, no timers: the floor. `raw-reference`
  // is the same client against the reference server (it logs in first): mp-socket's server without
  // its client, which tells the client's share of mp-socket's figures from the server's.
  const reference = library === 'raw-reference'
  const socket = new WebSocket(`ws://127.0.0.1:${port}${reference ? '/ws' : ''}`)
  await new Promise((resolve) => socket.once('open', resolve))
  const pending = new Map()
  let counter = 0
  if (reference) {
    socket.send(JSON.stringify({ event: 'login', data: { u: 'user:bench', token: signToken('bench', 'user:bench') }, uuid: 'login' }))
    await new Promise((resolve) => socket.once('message', resolve))
  }
  socket.on('message', (raw) => {
    const reply = JSON.parse(raw)
    // The reference server's pings (`{"type":"ping"}`) come at any moment: only replies settle a call.
    if (reply.type !== 'respon') return
    const resolve = pending.get(reply.event)
    pending.delete(reply.event)
    resolve(reply.data.body)
  })
  return {
    call: () =>
      new Promise((resolve) => {
        const uuid = String(++counter)
        pending.set(uuid, resolve)
        socket.send(JSON.stringify({ event: 'echo', data: payload, uuid }))
      }),
    close: () => socket.close(),
  }
}

async function run(client, count) {
  const latencies = new Float64Array(count)
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++
        const sent = performance.now()
        await client.call()
        latencies[index] = performance.now() - sent
      }
    }),
  )
  const elapsed = performance.now() - started
  latencies.sort()
  const at = (q) => latencies[Math.min(count - 1, Math.floor(q * count))]
  return { rps: Math.round((count / elapsed) * 1000), p50: at(0.5), p99: at(0.99), p999: at(0.999) }
}

const client = await connect()
await run(client, Math.min(20_000, requests)) // warm-up: JIT, buffers
const serverBefore = serverPid && cpuMs(serverPid)
const clientBefore = process.cpuUsage()
const machineBefore = machineTicks()
const result = await run(client, requests)
const used = process.cpuUsage(clientBefore)
result.steal = stolenSince(machineBefore)
result.clientUs = (used.user + used.system) / requests
if (serverPid) result.serverUs = ((cpuMs(serverPid) - serverBefore) * 1000) / requests
client.close()
console.log(JSON.stringify(result))
process.exit(0)
