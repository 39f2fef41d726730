// Reconnect storm: node bench/storm-client.mjs <clients> <jitter>
// Starts the reference server, connects the clients, kills the server and starts it again on the
// same port; reports how long until every client is online again, and how logins spread.
import { percentiles, startServer } from './lib.mjs'
import { sdkClient } from './clients.mjs'

const [count, jitter] = process.argv.slice(2).map(Number)
let server = await startServer('bench/servers/mp.mjs')
const port = server.port
const clients = Array.from({ length: count }, (_, i) => sdkClient(port, `user:${i}`, { reconnect: { minDelay: 1000, maxDelay: 8000, jitter } }))
await Promise.all(clients.map((client) => client.ready()))
const back = []
for (const client of clients) client.onStatus((status) => status === 'online' && back.push(performance.now()))
await server.stop('SIGKILL')
server = await startServer('bench/servers/mp.mjs', { PORT: String(port) })
const restarted = performance.now()
await Promise.all(clients.map((client) => client.ready()))
const offsets = back.map((time) => time - restarted)
for (const client of clients) client.close()
await server.stop()
console.log(JSON.stringify({ count, jitter, allOnline: Math.max(...offsets), ...percentiles(offsets), first: Math.min(...offsets) }))
process.exit(0)
