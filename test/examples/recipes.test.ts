import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { AuthError, ServerError, createSocket, web, type MpSocket } from 'mp-socket'
import { envelopeProtocol, firstMessageProtocol, quietHeartbeat, tickProtocol } from '../../docs/guides/recipes/protocols.mjs'
import { ROOT } from '../support/browser'
import { eventually, startCommand } from '../support/processes'

// The recipes of docs/guides/bring-your-own-backend.md against backends we did not write the
// server library of: aiohttp (Debian's python3-aiohttp), in docs/guides/recipes/backend.py.
let base = ''
let stopBackend: () => Promise<unknown> = async () => {}
beforeAll(async () => {
  const backend = await startCommand({
    command: '/usr/bin/python3',
    args: [join(ROOT, 'docs/guides/recipes/backend.py'), '0'],
    hint: 'apt-get install -y python3-aiohttp',
    started(output) {
      const match = output.match(/listening on (\d+)/)
      return match ? { port: match[1] } : undefined
    },
  })
  stopBackend = backend.stop
  base = `ws://127.0.0.1:${backend.port}`
})
afterAll(() => stopBackend())

const sockets: MpSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})
function track(socket: MpSocket) {
  sockets.push(socket)
  return socket
}

describe('bring your own backend: recipes against an aiohttp server', () => {
  it('never answers a ping: online while it talks, dropped (4002) and reconnected when it falls silent', async () => {
    const socket = track(createSocket({ url: `${base}/quiet`, runtime: web(WebSocket), protocol: tickProtocol, heartbeat: quietHeartbeat, reconnect: { minDelay: 50, maxDelay: 200 } }))
    const closes: number[] = []
    socket.onStatus((_status, _previous, error) => error && closes.push((error as { code: number }).code))
    let ticks = 0
    socket.on('tick', () => ticks++)
    socket.connectionLoop()
    await socket.ready()
    // Longer than interval + timeout: ticks alone keep it online.
    await eventually(() => expect(ticks).toBeGreaterThan(15), 15_000)
    expect(closes).toEqual([])
    await socket.send('silence', { silence: true })
    await eventually(() => expect(closes).toContain(4002), 15_000)
    await socket.ready()
    const before = ticks
    await eventually(() => expect(ticks).toBeGreaterThan(before), 15_000)
  })

  it('never answers a login: the first message is the login, one-way; bare JSON arrives as an event', async () => {
    const socket = track(createSocket({ url: `${base}/first`, runtime: web(WebSocket), protocol: firstMessageProtocol, login: () => ({ user_id: 'TARGET' }), heartbeat: false }))
    const points: unknown[] = []
    socket.on('location', (point) => points.push(point))
    socket.connectionLoop()
    await eventually(() => expect(points).toHaveLength(3))
    expect(points[0]).toEqual({ user_id: 'TARGET', lat: 35.001, lng: 53.1, timestamp: 1 })
  })

  it('its own envelope: requests, string error codes, pushes, login and heartbeat mapped to its calls', async () => {
    const socket = track(createSocket({
      url: `${base}/envelope`,
      runtime: web(WebSocket),
      protocol: envelopeProtocol,
      login: () => ({ user: 'amy', key: 'right-key' }),
      heartbeat: { ping: 'request', interval: 300, timeout: 1000 },
    }))
    const added: unknown[] = []
    socket.on('added', (sum) => added.push(sum))
    socket.connectionLoop()
    expect(await socket.request('add', { a: 2, b: 3 })).toBe(5)
    expect(added).toEqual([5])
    const unknown = await socket.request('divide', { a: 1 }).catch((error: unknown) => error)
    expect(unknown).toBeInstanceOf(ServerError)
    expect(unknown).toMatchObject({ code: 'unknown_method', body: 'divide' })
    // Several heartbeats later, still the same connection.
    const statuses: string[] = []
    socket.onStatus((status) => statuses.push(status))
    await new Promise((resolve) => setTimeout(resolve, 1200))
    expect(statuses).toEqual([])

    const refused = track(createSocket({ url: `${base}/envelope`, runtime: web(WebSocket), protocol: envelopeProtocol, login: () => ({ user: 'eve', key: 'wrong' }), authAttempts: 2, reconnect: { minDelay: 20, maxDelay: 50 } }))
    refused.connectionLoop()
    await expect(refused.ready()).rejects.toBeInstanceOf(AuthError)
  })
})
