import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import { parseJsonObject, type Protocol } from '../../src/protocol'

// The two custom protocols of docs/protocol.md, against servers that behave like the seeds'.
const flagProtocol: Protocol = {
  decode(frame) {
    const message = parseJsonObject(frame)
    return message && typeof message.flag === 'string' ? { kind: 'push', event: message.flag, message } : undefined
  },
  encodeRequest: (_id, flag, data) => JSON.stringify({ ...(data as object), flag }),
  encodeSend: (flag, data) => JSON.stringify({ ...(data as object), flag }),
  encodePong: () => '{"flag":"pong"}',
  encodeLogin: (payload) => JSON.stringify({ flag: 'login', ...(payload as object) }),
}

const locationProtocol: Protocol = {
  decode(frame) {
    const message = parseJsonObject(frame)
    return message ? { kind: 'push', event: 'location', message } : undefined
  },
  encodeRequest: (_id, _event, data) => JSON.stringify(data),
  encodeSend: (_event, data) => JSON.stringify(data),
  encodePong: () => '{}',
  encodeLogin: (payload) => JSON.stringify(payload),
}

const WS = WebSocket
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function listen(onConnection: (socket: WebSocket) => void) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => wss.once('listening', resolve))
  wss.on('connection', onConnection)
  cleanups.push(() => new Promise((resolve) => (wss.clients.forEach((c) => c.terminate()), wss.close(resolve))))
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws/`
}

describe('custom protocols against servers shaped like the seeds', () => {
  it('seed 001: flag-named events, one-way login within 2 s, messages relayed by target token', async () => {
    const byToken = new Map<string, WebSocket>()
    const url = await listen((socket) => {
      // Closes sockets that do not log in within 2 s; never answers the login.
      const deadline = setTimeout(() => socket.close(4000, 'no login'), 2000)
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw))
        if (message.flag === 'login') {
          clearTimeout(deadline)
          byToken.set(message.token, socket)
        } else if (message.target_token) {
          byToken.get(message.target_token)?.send(JSON.stringify(message))
        }
      })
    })
    const connect = (token: string) => {
      const socket = createSocket({ url, runtime: web(WS), protocol: flagProtocol, login: () => ({ token }), heartbeat: false })
      cleanups.push(() => socket.close())
      socket.connectionLoop()
      return socket
    }
    const driver = connect('driver-token')
    const passenger = connect('passenger-token')
    await Promise.all([driver.ready(), passenger.ready()])
    const got = new Promise((resolve) => passenger.once('latlng', resolve))
    // The server registers the login on arrival; give it a moment before relaying to that token.
    await new Promise((resolve) => setTimeout(resolve, 50))
    driver.send('latlng', { target_token: 'passenger-token', token: 'driver-token', lat: '23.11', lng: '113.11' })
    expect(await got).toEqual({ flag: 'latlng', target_token: 'passenger-token', token: 'driver-token', lat: '23.11', lng: '113.11' })
  })

  it('seed 000: a first {user_id} message, then bare JSON pushes with no type or event', async () => {
    const watchers = new Map<string, WebSocket>()
    const url = await listen((socket) => {
      socket.once('message', (raw) => watchers.set(String(JSON.parse(String(raw)).user_id), socket))
    })
    const socket = createSocket({ url, runtime: web(WS), protocol: locationProtocol, login: () => ({ user_id: 'TARGET' }), heartbeat: false })
    cleanups.push(() => socket.close())
    const points: unknown[] = []
    socket.on('location', (point) => points.push(point))
    socket.connectionLoop()
    await socket.ready()
    await new Promise((resolve) => setTimeout(resolve, 50))
    watchers.get('TARGET')!.send(JSON.stringify({ user_id: 'TARGET', lat: 35.0001, lng: 53.12111, timestamp: 1 }))
    watchers.get('TARGET')!.send('not json at all')
    watchers.get('TARGET')!.send(JSON.stringify({ user_id: 'TARGET', lat: 35.0002, lng: 53.12112, timestamp: 2 }))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(points).toEqual([
      { user_id: 'TARGET', lat: 35.0001, lng: 53.12111, timestamp: 1 },
      { user_id: 'TARGET', lat: 35.0002, lng: 53.12112, timestamp: 2 },
    ])
  })
})
