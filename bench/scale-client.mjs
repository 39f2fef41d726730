// Idle sockets of the scale section, driven over IPC by bench/scale.mjs (several of these processes,
// so that no client's event loop sets the figures). Raw `ws` sockets speaking each server's protocol
// by hand, so that holding thousands costs this process little and both libraries' clients cost the
// same: the reference protocol (login with `since`, as the SDK sends it, subscribe, positions kept
// from every frame, pings answered), and engine.io 4 / socket.io 4 (handshake with `auth`, pings
// answered). Every fan-out frame `{k: 'f', round}` is counted; when every socket of this process
// has handled a round, the parent hears when (performance.timeOrigin + now(), shared by every
// process on this machine).
import { WebSocket } from 'ws'
import { signToken } from '../examples/server/dist/index.mjs'

const now = () => performance.timeOrigin + performance.now()
const sockets = []
const rounds = new Map()
let requestIds = 0

function handled(message) {
  if (message?.k !== 'f') return
  const ran = (rounds.get(message.round) || 0) + 1
  rounds.set(message.round, ran)
  if (ran === sockets.length) process.send({ type: 'round', round: message.round, at: now() })
}

/** Resolves when `socket` opens, rejects on an error or close before that. */
function opened(socket) {
  return new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject).once('close', (code) => reject(new Error(`closed with ${code} before opening`))))
}

/** One reference-protocol socket of `client`: positions kept, pings answered, replies settled. */
async function mpConnect(client, { port, localAddress }) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { localAddress, perMessageDeflate: false })
  const pending = new Map()
  client.socket = socket
  client.request = (event, data) =>
    new Promise((resolve, reject) => {
      const uuid = `r${(requestIds++).toString(36)}`
      pending.set(uuid, (reply) => (reply?.error === 0 ? resolve(reply.body) : reject(new Error(`${event} answered ${JSON.stringify(reply)}`))))
      socket.send(JSON.stringify({ event, data, uuid }))
    })
  socket.on('message', (raw) => {
    const frame = JSON.parse(raw)
    if (frame.type === 'respon') {
      pending.get(frame.event)?.(frame.data)
      return pending.delete(frame.event)
    }
    if (frame.type === 'ping') return socket.send(JSON.stringify({ event: 'response', uuid: frame.uuid }))
    if (frame.type !== 'app') return
    if (frame.epoch !== undefined) {
      const position = { epoch: frame.epoch, offset: frame.offset }
      if (frame.channel) client.channels.set(frame.channel, position)
      else client.position = position
    }
    client.frames++
    handled(frame.msg)
  })
  await opened(socket)
  const login = await client.request('login', { u: client.user, token: signToken('bench', client.user), since: client.position })
  client.position = { epoch: login.epoch, offset: login.offset }
  let recovered = login.recovered === true
  for (const [channel, since] of client.channels) {
    const reply = await client.request('subscribe', { channel, since })
    client.channels.set(channel, { epoch: reply.epoch, offset: reply.offset })
    recovered &&= reply.recovered === true
  }
  return recovered
}

/** One engine.io 4 socket with socket.io's connect packet carrying the login in `auth`. */
async function sioConnect(client, { port, localAddress }) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { localAddress, perMessageDeflate: false })
  client.socket = socket
  const connected = new Promise((resolve, reject) => {
    socket.on('message', (raw) => {
      const packet = raw.toString()
      if (packet === '2') return socket.send('3')
      if (packet.startsWith('0')) return socket.send(`40${JSON.stringify({ user: client.user, token: signToken('bench', client.user) })}`)
      if (packet.startsWith('40')) return resolve(false)
      if (packet.startsWith('44')) return reject(new Error(`connect refused: ${packet}`))
      if (packet.startsWith('42')) {
        client.frames++
        handled(JSON.parse(packet.slice(2))[1])
      }
    })
  })
  await opened(socket)
  return connected
}

const connectors = { mp: mpConnect, sio: sioConnect }
let options

/** Connects (or reconnects) `clients` in batches; resolves with how many came back recovered. */
async function connectAll(clients, batch) {
  let recovered = 0
  for (let i = 0; i < clients.length; i += batch) {
    const results = await Promise.all(clients.slice(i, i + batch).map((client) => connectors[options.lib](client, options)))
    recovered += results.filter(Boolean).length
  }
  return recovered
}

const commands = {
  async connect(command) {
    options = command
    for (let i = command.from; i < command.from + command.count; i++) sockets.push({ user: `user:${i}`, position: null, channels: new Map(), frames: 0 })
    await connectAll(sockets, command.batch)
    return { sockets: sockets.length }
  },
  async subscribe({ channel }) {
    for (let i = 0; i < sockets.length; i += options.batch) {
      await Promise.all(
        sockets.slice(i, i + options.batch).map(async (client) => {
          const reply = await client.request('subscribe', { channel, since: null })
          client.channels.set(channel, { epoch: reply.epoch, offset: reply.offset })
        }),
      )
    }
    return {}
  },
  async drop() {
    await Promise.all(sockets.map((client) => new Promise((resolve) => client.socket.once('close', resolve).terminate())))
    return {}
  },
  async reconnect() {
    const before = sockets.reduce((total, client) => total + client.frames, 0)
    const recovered = await connectAll(sockets, options.batch)
    return { recovered, replayed: sockets.reduce((total, client) => total + client.frames, 0) - before }
  },
}

process.on('message', async (command) => {
  if (command.type === 'close') {
    for (const client of sockets) client.socket.terminate()
    return process.send({ type: 'closed' }, () => process.exit(0))
  }
  try {
    process.send({ type: command.type, ...(await commands[command.type](command)) })
  } catch (error) {
    process.send({ type: 'error', message: String(error?.stack || error) })
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ type: 'up' })
