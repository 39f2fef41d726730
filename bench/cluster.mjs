// The pieces of the multi-node benchmarks: a redis-server, three nodes of one library on it, fleets
// of clients in their own processes (driven over IPC), and a publisher over HTTP.
import { spawn } from 'node:child_process'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { basename, join } from 'node:path'
import { createClient } from 'redis'
import { ROOT, command, startServer } from './lib.mjs'

export const LIBRARIES = [
  { key: 'mp', name: 'mp-socket', server: 'bench/servers/mp-node.mjs' },
  { key: 'sio', name: 'socket.io 4 + redis-streams-adapter', server: 'bench/servers/socketio-node.mjs' },
]

export const now = () => performance.timeOrigin + performance.now()
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * redis-server on `port` of 127.0.0.1, without persistence, on the servers' CPU (`args` add to its
 * configuration), once it accepts connections: its process and a client on it.
 */
export async function startRedisServer(port, args = []) {
  const [file, fullArgs] = command(1, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], 'redis-server')
  const child = spawn(file, fullArgs, { stdio: ['ignore', 'pipe', 'inherit'] })
  child.once('error', () => {})
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start (apt-get install -y redis-server): ${output}`)), 15_000)
    child.stdout.on('data', (chunk) => {
      output += chunk
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code} (apt-get install -y redis-server): ${output}`))
    })
  })
  child.stdout.resume()
  const url = `redis://127.0.0.1:${port}`
  const client = createClient({ url })
  client.on('error', () => {})
  await client.connect()
  return { url, child, exited, client }
}

/** redis-server on a free port of 127.0.0.1, without persistence, on the servers' CPU. */
export async function startRedis() {
  const { url, child, exited, client } = await startRedisServer(await freePort())
  return {
    url,
    /** Its process (bench/redis-cluster.mjs gives its masters'): what channels.mjs reads the CPU of. */
    pids: [child.pid],
    /** What the nodes are given to reach it (bench/redis-cluster.mjs gives REDIS_CLUSTER). */
    env: { REDIS_URL: url },
    client,
    /** Calls per command from INFO commandstats. */
    async commandCalls() {
      const calls = {}
      for (const match of (await client.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) calls[match[1]] = Number(match[2])
      return calls
    },
    async usedMemory() {
      return Number((await client.info('memory')).match(/used_memory:(\d+)/)[1])
    },
    async stop() {
      await client.destroy()
      child.kill('SIGKILL')
      await exited
    },
  }
}

/**
 * Three nodes of `library` on `redis` (startRedis here, or startRedisCluster), each its own process on the servers' CPU.
 * BENCH_NODE_ARGS (space-separated) go to the nodes' node only: `--cpu-prof --cpu-prof-dir=/tmp/prof`
 * profiles them (the profiles are written when they stop).
 */
export async function startNodes(library, redis, count = 3, env = {}) {
  const nodeArgs = (process.env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean)
  return Promise.all(Array.from({ length: count }, () => startServer(library.server, { ...redis.env, ...env }, nodeArgs)))
}

/** Resident memory of a process, from /proc. */
export async function rss(pid) {
  const { readFile } = await import('node:fs/promises')
  return Number((await readFile(`/proc/${pid}/status`, 'utf8')).match(/VmRSS:\s+(\d+)/)[1]) * 1024
}

/** CPU time a process has used in user space and in the kernel, in ms, from /proc (clock ticks of 10 ms). */
export async function cpuTimes(pid) {
  const { readFile } = await import('node:fs/promises')
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 }
}

/**
 * `processes` copies of the client script `script` on the clients' CPU, driven over IPC (each says
 * `up` once ready, answers every command in order, and reports a fan-out's arrivals as `round`
 * messages to `onRound`). `ask(type, data)` sends a command to all, `data(p)` adding process p's
 * part, and resolves with their answers; `up` resolves once every process is up.
 */
export function startClientProcesses(script, processes, { nodeArgs = [], onRound = () => {} } = {}) {
  const name = basename(script, '.mjs')
  const children = []
  for (let p = 0; p < processes; p++) {
    const [file, args] = command(0, [...nodeArgs, join(ROOT, script)])
    const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const waiting = []
    const up = new Promise((resolve) => child.once('message', resolve))
    child.on('message', (message) => {
      if (message.type === 'round') return onRound(message)
      if (message.type === 'up') return
      const next = waiting.shift()
      if (message.type === 'error') next?.reject(new Error(message.message))
      else next?.resolve(message)
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.once('exit', (code) => {
      for (const next of waiting.splice(0)) next.reject(new Error(`${name} exited with ${code}`))
    })
    const send = (message) =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`${name} is gone`))
        waiting.push({ resolve, reject })
        child.send(message)
      })
    children.push({ child, send, exited, up })
  }
  return {
    pids: children.map((c) => c.child.pid),
    up: Promise.all(children.map((c) => c.up)),
    ask: (type, data = () => ({})) => Promise.all(children.map((c, p) => c.send({ type, ...data(p) }))),
    async close() {
      await Promise.allSettled(children.map((c) => c.send({ type: 'close' })))
      const timers = children.map((c) => setTimeout(() => c.child.kill('SIGKILL'), 5000))
      await Promise.all(children.map((c) => c.exited))
      timers.forEach(clearTimeout)
    },
  }
}

/**
 * `processes` client processes (bench/fleet-client.mjs on the clients' CPU), `perProcess` clients
 * each; `ask(type, data)` sends a command to all and resolves with their answers. BENCH_CLIENT_ARGS
 * (space-separated) go to their node, as BENCH_NODE_ARGS to the nodes'.
 */
export async function startFleet(library, ports, { processes, perProcess, channel, channels = 20, batch = 100, onRound = () => {} }) {
  const nodeArgs = (process.env.BENCH_CLIENT_ARGS || '').split(' ').filter(Boolean)
  const fleet = startClientProcesses('bench/fleet-client.mjs', processes, { nodeArgs, onRound })
  await fleet.ask('connect', (p) => ({ lib: library.key, ports, from: p * perProcess, count: perProcess, channel, channels, batch }))
  return { pids: fleet.pids, ask: fleet.ask, close: fleet.close }
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 })

/** POST /push to one node: `{event, msg, to | channel}` for mp-socket, `{event, msg, rooms}` for socket.io. */
export function push(port, body) {
  const payload = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/push', method: 'POST', agent, headers: { authorization: 'Bearer bench', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        let text = ''
        response.on('data', (chunk) => (text += chunk))
        response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`push answered ${response.statusCode}: ${text}`))))
      },
    )
    req.setTimeout(10_000, () => req.destroy(new Error('push timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

/** The same publication in each library's terms: to users (rooms named by the user) or a channel. */
export function pushBody(library, { users, channel, msg }) {
  if (library.key === 'sio') return { event: 'e', msg, rooms: users ?? [channel] }
  return users ? { event: 'e', msg, to: users } : { event: 'e', msg, channel }
}

/** Subtracts `before` from `after`, command by command. */
export function delta(before, after) {
  const result = {}
  for (const [name, calls] of Object.entries(after)) if (calls !== (before[name] || 0)) result[name] = calls - (before[name] || 0)
  return result
}

export const sum = (calls) => Object.values(calls).reduce((a, b) => a + b, 0)
