// Many clients of one library in one process, driven over IPC by cluster.mjs (recovery storm and
// channel fan-out): mp-socket SDK clients (`subscribe`, positions, dedupe) or socket.io-client 4
// sockets with connection-state recovery. Each client is user `user:<i>` following one channel; its
// first connection goes to node i % nodes, and every reconnect attempt to the next node in the list
// (what a load balancer in front of the nodes would do once one of them is gone).
//
// Every handler call is recorded: message ids per stream (for lost, duplicated and out-of-order
// counts), drops and recoveries with their wall-clock time (performance.timeOrigin + now(), which
// every process on this machine shares), and for fan-out rounds the moment the last client of this
// process ran its handler.
import { io } from 'socket.io-client'
import { WebSocket } from 'ws'
import { createSocket, web } from '../dist/index.mjs'
import { signToken } from '../examples/server/dist/index.mjs'

const now = () => performance.timeOrigin + performance.now()
const clients = []
/** round -> handlers run in this process; the IPC 'round' message goes out when all of them did. */
const rounds = new Map()

function record(client, message) {
  if (message?.k === 'f') {
    const ran = (rounds.get(message.round) || 0) + 1
    rounds.set(message.round, ran)
    if (ran === clients.length) process.send({ type: 'round', round: message.round, at: now() })
    return
  }
  const ids = message?.k === 'u' ? client.user : client.channel
  ids.push(message.id)
}

function newClient(i, { ports, channel }) {
  return { i, name: `user:${i}`, channel: [], user: [], channelName: channel, drops: [], backs: [], ports }
}

/** An mp-socket SDK client with the SDK's default reconnect settings (1 s, jitter 0.5). */
function mpClient(i, options) {
  const client = newClient(i, options)
  let attempt = 0
  const socket = createSocket({
    url: () => `ws://127.0.0.1:${options.ports[(i + attempt++) % options.ports.length]}/ws`,
    runtime: web(WebSocket),
    login: () => ({ u: client.name, token: signToken('bench', client.name) }),
    heartbeat: false,
    requestTimeout: 60_000,
  })
  socket.on('e', (message) => record(client, message.msg))
  const subscription = socket.subscribe(client.channelName)
  subscription.on('e', (message) => record(client, message.msg))
  // Back after a drop = logged in again and subscribed again, both with their recovery flag.
  let pending
  socket.onStatus((status, previous) => {
    if (previous === 'online' && status !== 'online') {
      client.drops.push(now())
      pending = { login: undefined, subscribe: undefined }
    }
  })
  const settle = (key, recovery) => {
    if (!pending) return
    pending[key] = recovery.recovered
    if (pending.login !== undefined && pending.subscribe !== undefined) {
      client.backs.push({ at: now(), recovered: pending.login && pending.subscribe })
      pending = undefined
    }
  }
  socket.onLoggedIn((recovery) => settle('login', recovery))
  subscription.onSubscribed((recovery) => settle('subscribe', recovery))
  socket.connectionLoop()
  client.ready = () => subscription.ready()
  client.close = () => socket.close()
  return client
}

/** A socket.io-client 4 socket (websocket transport) with socket.io's default reconnect settings. */
function socketioClient(i, options) {
  const client = newClient(i, options)
  let attempt = 0
  const url = () => `ws://127.0.0.1:${options.ports[(i + attempt++) % options.ports.length]}`
  const socket = io(url(), {
    transports: ['websocket'],
    forceNew: true,
    auth: { user: client.name, token: signToken('bench', client.name), channel: client.channelName },
  })
  // The manager reads `uri` again on every attempt.
  socket.io.on('reconnect_attempt', () => (socket.io.uri = url()))
  socket.on('e', (message) => record(client, message))
  let connected
  const first = new Promise((resolve) => (connected = resolve))
  socket.on('connect', () => {
    if (client.drops.length > client.backs.length) client.backs.push({ at: now(), recovered: socket.recovered })
    connected()
  })
  socket.on('disconnect', () => client.drops.push(now()))
  client.ready = () => first
  client.close = () => socket.disconnect()
  return client
}

/** Lost, duplicated and out-of-order ids of one stream, against the ids published to it. */
function compare(received, expected) {
  const seen = new Set(received)
  let lost = 0
  for (const id of expected) if (!seen.has(id)) lost++
  let outOfOrder = 0
  for (let k = 1; k < received.length; k++) if (received[k] < received[k - 1]) outOfOrder++
  return { lost, duplicated: received.length - seen.size, outOfOrder, handled: received.length }
}

async function connect({ lib, ports, from, count, channel, channels, batch }) {
  const make = lib === 'mp' ? mpClient : socketioClient
  for (let i = from; i < from + count; i += batch) {
    const group = []
    for (let j = i; j < Math.min(from + count, i + batch); j++) {
      const client = make(j, { ports, channel: channel ?? `room:${j % channels}` })
      clients.push(client)
      group.push(client.ready())
    }
    await Promise.all(group)
  }
}

function status() {
  const dropped = clients.filter((client) => client.drops.length > 0)
  const back = dropped.filter((client) => client.backs.length >= client.drops.length)
  return { dropped: dropped.length, back: back.length, recovered: back.filter((client) => client.backs.every((b) => b.recovered)).length }
}

function report({ expected, killedAt }) {
  const totals = { lost: 0, duplicated: 0, outOfOrder: 0, handled: 0, expected: 0 }
  const add = (result, wanted) => {
    for (const key of ['lost', 'duplicated', 'outOfOrder', 'handled']) totals[key] += result[key]
    totals.expected += wanted.length
  }
  const recoveries = []
  for (const client of clients) {
    const userIds = expected.users[client.name] || []
    const channelIds = expected.channels[client.channelName] || []
    add(compare(client.user, userIds), userIds)
    add(compare(client.channel, channelIds), channelIds)
    if (client.drops.length > 0) {
      const last = client.backs.at(-1)
      recoveries.push({ back: last ? last.at - killedAt : null, recovered: client.backs.length > 0 && client.backs.every((b) => b.recovered) })
    }
  }
  return { ...totals, recoveries }
}

process.on('message', async (command) => {
  try {
    if (command.type === 'connect') {
      await connect(command)
      process.send({ type: 'connected', clients: clients.length })
    } else if (command.type === 'status') {
      process.send({ type: 'status', ...status() })
    } else if (command.type === 'report') {
      process.send({ type: 'report', ...report(command) })
    } else if (command.type === 'close') {
      for (const client of clients) client.close()
      process.send({ type: 'closed' }, () => process.exit(0))
    }
  } catch (error) {
    process.send({ type: 'error', message: String(error?.stack || error) })
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ type: 'up' })
