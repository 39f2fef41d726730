// `npm run build && node examples/live-location/run.mjs`: Redis (REDIS_URL, or a redis-server of
// its own on a free port), the live-location server on 127.0.0.1, and one simulated courier driving
// in circles (COURIERS=0: none). Prints the dashboard's address and the backend's publish command.
// Stops by itself after MINUTES (30 by default), or on Ctrl+C.
import { spawn } from 'node:child_process'
import { createServer as createTcpServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSocket, web } from 'mp-socket'
import { WebSocket } from 'ws'
import { createLiveLocationServer } from './server.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const minutes = Number(process.env.MINUTES || 30)
const secret = process.env.MP_SECRET || 'live-location-' + Math.random().toString(36).slice(2)

async function freePort() {
  const probe = createTcpServer()
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** A throwaway redis-server (no persistence) when no REDIS_URL is given. */
async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise((resolve, reject) => {
    let output = ''
    child.once('error', () => reject(new Error('redis-server not found: apt-get install -y redis-server, or set REDIS_URL')))
    child.stdout.on('data', (chunk) => (output += chunk).includes('Ready to accept connections') && resolve())
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)))
  })
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') }
}

const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop() {} } : await startRedis()
const server = createLiveLocationServer({
  redisUrl: redis.url,
  secret,
  port: Number(process.env.PORT || 0),
  log: process.env.QUIET ? undefined : (...args) => console.log(new Date().toISOString().slice(11, 19), ...args),
})
await server.listen()
const http = `http://127.0.0.1:${server.port}`

// A courier of our own, so the map moves: what the mini-program's track page sends.
const couriers = []
for (let n = 1; n <= Number(process.env.COURIERS ?? 1); n++) {
  const u = `courier:${n}`
  const token = (await (await fetch(`${http}/token?u=${u}`)).json()).token
  const socket = createSocket({ url: `ws://127.0.0.1:${server.port}/ws`, runtime: web(WebSocket), login: () => ({ u, token }) })
  socket.subscribe('couriers')
  socket.connectionLoop()
  let step = 0
  const timer = setInterval(() => {
    step++
    const angle = step / 10 + n
    socket.request('location', { lat: 31.23 + 0.004 * Math.sin(angle), lng: 121.47 + 0.006 * Math.cos(angle) }).catch(() => {})
  }, 2000)
  couriers.push(() => (clearInterval(timer), socket.close()))
}

console.log(`\n  live location: open ${http}/ (the dispatch dashboard)`)
console.log(`  redis: ${redis.url}`)
console.log(`  a backend's own payload: /usr/bin/python3 ${join(here, 'backend/publish.py')} ${redis.url} tracking 42 31.231 121.472`)
console.log(`  (it stops by itself in ${minutes} minute${minutes === 1 ? '' : 's'}; Ctrl+C stops it now)\n`)

const stop = async () => {
  for (const stopCourier of couriers) stopCourier()
  await server.close()
  redis.stop()
  process.exit(0)
}
setTimeout(stop, minutes * 60_000).unref()
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
