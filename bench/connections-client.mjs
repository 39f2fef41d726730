// Idle logged-in connections: node bench/connections-client.mjs <port> <serverPid> <count>
// Opens `count` raw sockets that log in and stay idle, and reads the server's resident memory.
import { readFileSync } from 'node:fs'
import { WebSocket } from 'ws'
import { signToken } from '../examples/server/dist/index.mjs'

const [port, pid, count] = process.argv.slice(2).map(Number)
const rss = () => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024

async function open(i) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`)
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  const u = `user:${i}`
  socket.send(JSON.stringify({ event: 'login', data: { u, token: signToken('bench', u) }, uuid: 'l' }))
  await new Promise((resolve) => socket.once('message', resolve))
  return socket
}

await new Promise((resolve) => setTimeout(resolve, 500))
const before = rss()
const sockets = []
for (let i = 0; i < count; i += 100) sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => open(i + j)))))
await new Promise((resolve) => setTimeout(resolve, 1500))
const after = rss()
const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json()
for (const socket of sockets) socket.terminate()
console.log(JSON.stringify({ count, connections: health.connections, users: health.users, before, after, perConnection: (after - before) / count }))
process.exit(0)
