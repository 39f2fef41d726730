import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { miniProgram } from '../../src/adapters/miniprogram'
import { uniAdapter } from '../../src/adapters/uni'
import { web } from '../../src/adapters/web'
import type { MpSocket, Status } from '../../src/types'
import { createSocket } from '../../src/create'
import { ClosedError, ServerError, TimeoutError } from '../../src/errors'
import type { SocketOptions } from '../../src/options'
import { WebSocket as WsWebSocket } from 'ws'
import { createTestRuntime } from '../../src/testing'
import { startServer, tokenFor, type TestServer } from '../support/server'

const fast = { reconnect: { minDelay: 50, maxDelay: 400 }, heartbeat: { interval: 1000, timeout: 500 } }
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  vi.unstubAllGlobals()
})

async function server(port?: number) {
  const started = await startServer({ port })
  cleanups.push(() => started.stop())
  return started
}

function client(options: Partial<SocketOptions> & Pick<SocketOptions, 'url'>, user = 'user:1') {
  const socket = createSocket({ runtime: web(WebSocket), login: () => ({ u: user, token: tokenFor(user) }), ...fast, ...options })
  cleanups.push(() => socket.close())
  return socket
}

function statuses(socket: MpSocket) {
  const seen: Status[] = []
  socket.onStatus((status) => seen.push(status))
  return seen
}

describe('against a real server through the web adapter (ws in Node)', () => {
  it('logs in, gets replies, typed server errors, and pushes on every device of a user', async () => {
    const srv = await server()
    const phone = client({ url: srv.url })
    const tablet = client({ url: srv.url })
    phone.connectionLoop()
    tablet.connectionLoop()
    await Promise.all([phone.ready(), tablet.ready()])

    await expect(phone.request('echo', { n: 1 })).resolves.toEqual({ n: 1 })
    const unknown = await phone.request('nope').catch((e) => e)
    expect(unknown).toBeInstanceOf(ServerError)
    expect(unknown).toMatchObject({ code: 404, body: 'unknown event nope' })

    const got: unknown[] = []
    phone.on('chat1', (message) => got.push(['phone', message.msg]))
    const off = tablet.on('chat1', (message) => got.push(['tablet', message.msg]))
    expect(srv.push('user:1', 'chat1', 'reload')).toBe(2)
    await vi.waitFor(() => expect(got).toHaveLength(2))
    off()
    srv.push('user:1', 'chat1', 'again')
    await vi.waitFor(() => expect(got).toHaveLength(3))
    expect(got).toEqual(expect.arrayContaining([['phone', 'reload'], ['tablet', 'reload'], ['phone', 'again']]))
  })

  it('answers server pings with the id as sent', async () => {
    const srv = await server()
    const socket = client({ url: srv.url })
    socket.connectionLoop()
    await socket.ready()
    srv.ping(1718000000.25)
    await vi.waitFor(() => expect(srv.received).toContainEqual({ event: 'response', uuid: 1718000000.25 }))
  })

  it('keeps retrying with backoff on a wrong token and never goes online', async () => {
    const srv = await server()
    const socket = createSocket({ url: srv.url, runtime: web(WebSocket), login: () => ({ u: 'user:1', token: 'wrong' }), reconnect: { minDelay: 100, maxDelay: 400, jitter: 0 } })
    cleanups.push(() => socket.close())
    const seen = statuses(socket)
    socket.connectionLoop()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(seen).not.toContain('online')
    // 0, 100, 200, 400 ms...: a handful of attempts in a second, not hammering.
    expect(srv.connections).toBeGreaterThanOrEqual(2)
    expect(srv.connections).toBeLessThanOrEqual(5)
    await vi.waitFor(() => expect(srv.open).toBeLessThanOrEqual(1))
  })

  it('logs in again by itself after the server restarts, and queued requests then flow', async () => {
    const first = await startServer()
    const socket = client({ url: first.url })
    socket.connectionLoop()
    await socket.ready()
    const port = first.port
    const inFlight = socket.request('slow').catch((e) => e)
    first.handle('slow', () => new Promise(() => {}))
    await first.stop()
    expect(await inFlight).toBeInstanceOf(ClosedError)
    await vi.waitFor(() => expect(socket.status).not.toBe('online'))
    const queued = socket.request('echo', 'after restart', { timeout: 5000 })
    const second = await server(port)
    await expect(queued).resolves.toBe('after restart')
    expect(socket.status).toBe('online')
    expect(second.received.map((message) => message.event)).toEqual(['login', 'echo'])
  })

  it('logs in again when the server forgets the login (ping error)', async () => {
    const srv = await server()
    const socket = client({ url: srv.url, heartbeat: { interval: 200, timeout: 500 } })
    socket.connectionLoop()
    await socket.ready()
    srv.forgetLogins()
    await vi.waitFor(() => expect(srv.received.filter((message) => message.event === 'login')).toHaveLength(2), { timeout: 3000 })
    await socket.ready()
    srv.push('user:1', 'e', 1)
  })

  it('times out a request the server never answers, and keeps working', async () => {
    const srv = await server()
    srv.handle('never', () => new Promise(() => {}))
    const socket = client({ url: srv.url })
    socket.connectionLoop()
    await socket.ready()
    await expect(socket.request('never', null, { timeout: 100 })).rejects.toBeInstanceOf(TimeoutError)
    await expect(socket.request('echo', 2)).resolves.toBe(2)
  })
})

describe('through mini-program adapters on a runtime backed by real sockets', () => {
  function wxClient(url: string, runtime = createTestRuntime({ WebSocket: WsWebSocket })) {
    const socket = createSocket({ url, runtime: miniProgram(runtime.api), login: () => ({ u: 'user:2', token: tokenFor('user:2') }), ...fast })
    cleanups.push(() => socket.close())
    return { socket, runtime }
  }

  it('wx: queues while the network is off, reconnects the moment it returns, and cleans up on close', async () => {
    const srv = await server()
    const { socket, runtime } = wxClient(srv.url)
    socket.connectionLoop()
    await socket.ready()
    runtime.networkOff()
    await vi.waitFor(() => expect(socket.status).toBe('idle'))
    const queued = socket.request('echo', 'queued while offline', { timeout: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(socket.status).not.toBe('online')
    runtime.networkOn()
    await expect(queued).resolves.toBe('queued while offline')
    expect(runtime.openTasks).toHaveLength(1)
    socket.close()
    expect(runtime.listenerCount).toBe(0)
    await vi.waitFor(() => expect(runtime.openTasks).toHaveLength(0))
    await vi.waitFor(() => expect(srv.open).toBe(0))
  })

  it('wx: probes at once when the app is shown and replaces a dead connection', async () => {
    const srv = await server()
    const runtime = createTestRuntime({ WebSocket: WsWebSocket })
    const probing = createSocket({
      url: srv.url,
      runtime: miniProgram(runtime.api),
      login: () => ({ u: 'user:2', token: tokenFor('user:2') }),
      ...fast,
      heartbeat: { interval: 60_000, timeout: 300 },
    })
    cleanups.push(() => probing.close())
    probing.connectionLoop()
    await probing.ready()
    const pings = () => srv.received.filter((message) => message.event === 'ping').length
    runtime.show()
    await vi.waitFor(() => expect(pings()).toBe(1))
    // A half-open connection: the server stops answering. Showing the app finds out within the ping timeout.
    srv.handle('ping', () => new Promise(() => {}))
    const tasksBefore = runtime.tasks.length
    srv.forgetLogins()
    runtime.show()
    await vi.waitFor(() => expect(runtime.tasks.length).toBeGreaterThan(tasksBefore), { timeout: 3000 })
    await probing.ready()
  })

  it('uni: works through a literal uni.connectSocket that returns a Promise without callbacks', async () => {
    const srv = await server()
    const runtime = createTestRuntime({ flavour: 'uni', WebSocket: WsWebSocket })
    vi.stubGlobal('uni', runtime.api)
    const socket = createSocket({ url: srv.url, runtime: uniAdapter(), login: () => ({ u: 'user:3', token: tokenFor('user:3') }), ...fast })
    cleanups.push(() => socket.close())
    socket.connectionLoop()
    await socket.ready()
    const got = new Promise((resolve) => socket.once('user_tabbar', resolve))
    srv.push('user:3', 'user_tabbar', '0')
    await expect(got).resolves.toMatchObject({ type: 'app', event: 'user_tabbar', msg: '0' })
    await expect(socket.request('echo', '中文')).resolves.toBe('中文')
  })

  it('never holds more than one socket while reconnecting through many drops', async () => {
    const srv = await server()
    const { socket, runtime } = wxClient(srv.url)
    socket.connectionLoop()
    await socket.ready()
    for (let i = 0; i < 5; i++) {
      srv.dropAll()
      runtime.show()
      runtime.networkOn()
      socket.connectionLoop()
      await socket.ready()
      expect(runtime.openTasks.length).toBeLessThanOrEqual(1)
    }
    await vi.waitFor(() => expect(srv.open).toBe(1))
  })
})
