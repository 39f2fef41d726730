import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { miniProgram } from '../../src/adapters/miniprogram'
import { uniAdapter } from '../../src/adapters/uni'
import { web } from '../../src/adapters/web'
import type { MpSocket } from '../../src/types'
import { createSocket } from '../../src/create'
import { ClosedError, ServerError } from '../../src/errors'
import type { SocketOptions } from '../../src/options'
import { createTestRuntime } from '../../src/testing'
import { signToken } from '../../examples/server/src/token'
import { rawClient } from '../support/raw'
import { SECRET, eventually, liveTimers, startProxy, startServerProcessUntil } from '../support/processes'

const WS = WebSocket
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const server = (env: Record<string, string> = {}, port = 0) => startServerProcessUntil(cleanups, env, port)

function sdk(url: string, user: string, options: Partial<SocketOptions> = {}): MpSocket {
  const socket = createSocket({
    url,
    runtime: web(WS),
    login: () => ({ u: user, token: signToken(SECRET, user) }),
    reconnect: { minDelay: 100, maxDelay: 1000 },
    heartbeat: { interval: 2000, timeout: 1000 },
    ...options,
  })
  cleanups.push(() => socket.close())
  return socket
}

describe('the SDK against the reference server', () => {
  it('logs in, requests, gets pushes on two devices, and pages add and remove handlers', async () => {
    const srv = await server()
    const phone = sdk(srv.url, 'user:1')
    const tablet = sdk(srv.url, 'user:1')
    phone.connectionLoop()
    tablet.connectionLoop()
    await Promise.all([phone.ready(), tablet.ready()])
    expect(await phone.request('echo', { text: '你好' })).toEqual({ text: '你好' })

    const seen: string[] = []
    // A chat page: registers in onLoad, uninstalls in onUnload.
    phone.on('chat7', (message) => seen.push(`phone:${message.msg}`))
    tablet.on('chat7', (message) => seen.push(`tablet:${message.msg}`))
    tablet.on('user_tabbar', (message) => seen.push(`badge:${message.msg}`))
    expect(await srv.push({ event: 'chat7', msg: 'm1', to: 'user:1' })).toEqual({ delivered: 2 })
    await eventually(() => expect(seen.sort()).toEqual(['phone:m1', 'tablet:m1']))
    phone.uninstall('chat7')
    await srv.push({ event: 'chat7', msg: 'm2', to: 'user:1' })
    await srv.push({ event: 'user_tabbar', msg: '1', to: 'user:1' })
    await eventually(() => expect(seen).toContain('badge:1'))
    expect(seen.filter((line) => line.startsWith('phone'))).toEqual(['phone:m1'])
    expect(seen).toContain('tablet:m2')
  })

  it('answers an unknown event at once with ServerError 404, not a timeout', async () => {
    const srv = await server()
    const socket = sdk(srv.url, 'user:2', { requestTimeout: 30_000 })
    socket.connectionLoop()
    await socket.ready()
    const started = Date.now()
    const error = await socket.request('does_not_exist').catch((e) => e)
    expect(error).toBeInstanceOf(ServerError)
    expect(error).toMatchObject({ code: 404 })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('answers the server pings', async () => {
    const srv = await server({ PING_INTERVAL: '100', IDLE_TIMEOUT: '600' })
    const socket = sdk(srv.url, 'user:3', { heartbeat: false })
    let opened = 0
    socket.onStatus((status) => status === 'online' && opened++)
    socket.connectionLoop()
    await socket.ready()
    // No heartbeat of our own: only the pongs keep this socket from being cut off as idle.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(opened).toBe(1)
    expect(socket.status).toBe('online')
  })

  it('stays offline with a wrong token, retrying with backoff', async () => {
    const srv = await server()
    const socket = createSocket({ url: srv.url, runtime: web(WS), login: () => ({ u: 'user:4', token: 'forged' }), reconnect: { minDelay: 200, maxDelay: 800, jitter: 0 } })
    cleanups.push(() => socket.close())
    const failures: unknown[] = []
    socket.onStatus((status, _previous, error) => status === 'idle' && error && failures.push((error as ClosedError).cause))
    socket.connectionLoop()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(socket.status).not.toBe('online')
    expect(failures.length).toBeGreaterThanOrEqual(2)
    expect(failures.length).toBeLessThanOrEqual(5)
    expect(failures[0]).toBeInstanceOf(ServerError)
    expect(failures[0]).toMatchObject({ code: 401, body: 'invalid token' })
  })

  it('closes a socket that never logs in, and an oversize frame fails its request with 1009', async () => {
    const srv = await server({ LOGIN_TIMEOUT: '200', MAX_PAYLOAD: '2048' })
    const raw = await rawClient(srv.url)
    cleanups.push(() => raw.close())
    expect(await raw.waitClose()).toEqual({ code: 4401, reason: 'login timeout' })

    const socket = sdk(srv.url, 'user:5')
    socket.connectionLoop()
    await socket.ready()
    const error = await socket.request('echo', 'x'.repeat(4096)).catch((e) => e)
    expect(error).toBeInstanceOf(ClosedError)
    expect(error.code).toBe(1009)
    await socket.ready()
    expect(await socket.request('echo', 'small')).toBe('small')
  })

  it('shuts down with 1012 on SIGTERM and exits cleanly', async () => {
    const srv = await server()
    const socket = sdk(srv.url, 'user:6', { reconnect: false })
    const closes: number[] = []
    socket.onStatus((status, _previous, error) => status === 'idle' && closes.push((error as ClosedError).code))
    socket.connectionLoop()
    await socket.ready()
    expect(await srv.kill('SIGTERM')).toBe(0)
    await eventually(() => expect(closes).toEqual([1012]))
  })
})

describe('mini-program adapters on the test runtime', () => {
  // Each runtime installed as its global and picked by name; Alipay's test runtime returns no task
  // unless `multiple: true` is passed, as the real one keeps a single global socket then.
  for (const flavour of ['wx', 'uni', 'my', 'tt'] as const) {
    it(`${flavour}: logs in, requests and gets pushes through the runtime's connectSocket`, async () => {
      const srv = await server()
      const runtime = createTestRuntime({ flavour, WebSocket: WS })
      const uninstall = runtime.install()
      cleanups.push(uninstall)
      const socket = createSocket({
        url: srv.url,
        runtime: flavour,
        login: () => ({ u: 'user:8', token: signToken(SECRET, 'user:8') }),
      })
      cleanups.push(() => socket.close())
      socket.connectionLoop()
      await socket.ready()
      expect(await socket.request('echo', flavour)).toBe(flavour)
      const pushed = new Promise((resolve) => socket.once('chat1', resolve))
      await srv.push({ event: 'chat1', msg: 'hello', to: 'user:8' })
      expect(await pushed).toMatchObject({ type: 'app', msg: 'hello' })
      socket.close()
      expect(runtime.listenerCount).toBe(0)
      await eventually(() => expect(runtime.openTasks).toHaveLength(0))
    })
  }

  it('uni adapter gets a SocketTask back, though uni.connectSocket without callbacks returns a Promise', () => {
    const runtime = createTestRuntime({ flavour: 'uni', WebSocket: WS })
    cleanups.push(runtime.install())
    // The adapter passes a callback, so a task comes back and the socket is ours to close.
    const connection = uniAdapter().connect('ws://127.0.0.1:9', { open() {}, message() {}, close() {}, error() {} })
    expect(runtime.tasks).toHaveLength(1)
    connection.close(1000, '')
  })
})

describe('faults', () => {
  it('server killed and restarted: a pending request fails with ClosedError (the new process forgot it: never resent), the client logs in again, queued requests flow', async () => {
    const first = await server()
    const timersBefore = liveTimers()
    const socket = sdk(first.url, 'user:10', { requestTimeout: 15_000 })
    socket.connectionLoop()
    await socket.ready()
    const logins: number[] = []
    socket.onStatus((status) => status === 'online' && logins.push(Date.now()))
    // Frozen first, so the request reaches a server that will never answer it.
    first.child.kill('SIGSTOP')
    const inFlight = socket.request('echo', 'never answered').catch((e) => e)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await first.kill('SIGKILL')
    // Queued: made once the client has seen its socket end (the process exiting comes first, the
    // close event after; a request made in between is written to the dead socket, not queued).
    await eventually(() => expect(socket.status).not.toBe('online'))
    const queued = [socket.request('echo', 'q1'), socket.request('echo', 'q2')]
    await new Promise((resolve) => setTimeout(resolve, 300))
    await server({}, first.port)
    // Kept for a server that might still remember it, then failed: the new process is another
    // dedupe scope, where a resend could run it twice.
    const error = await inFlight
    expect(error).toBeInstanceOf(ClosedError)
    expect(await Promise.all(queued)).toEqual(['q1', 'q2'])
    expect(logins).toHaveLength(1)
    socket.close()
    await eventually(() => expect(liveTimers()).toBeLessThanOrEqual(timersBefore))
  })

  it('half-open connection: traffic swallowed without a close is found within heartbeat interval + timeout', async () => {
    const srv = await server()
    const proxy = await startProxy(srv.port)
    cleanups.push(() => proxy.close())
    const socket = sdk(proxy.url, 'user:11', { heartbeat: { interval: 500, timeout: 500 }, reconnect: { minDelay: 50, maxDelay: 100 } })
    socket.connectionLoop()
    await socket.ready()
    // `retry: false`: the request fails with the socket, which shows when the heartbeat found it.
    const pending = socket.request('echo', 'lost', { timeout: 10_000, retry: false }).catch((e) => e)
    // The reference server deduplicates: a request with the default retry is written again on the
    // next connection and answered once.
    const resent = socket.request('echo', 'resent', { timeout: 20_000 })
    proxy.blackhole()
    const started = Date.now()
    const error = await pending
    const detected = Date.now() - started
    expect(error).toBeInstanceOf(ClosedError)
    expect(error.code).toBe(4002) // ping timeout
    // Well under the request's own 10 s timeout: the heartbeat found it (interval 0.5 s + timeout 0.5 s,
    // with room for a slow machine).
    expect(detected).toBeLessThan(1000 + 3000)
    proxy.restore()
    await socket.ready()
    expect(await socket.request('echo', 'back')).toBe('back')
    await expect(resent).resolves.toBe('resent')
  })

  function miniProgramClient(url: string, user: string, options: Partial<SocketOptions>) {
    const runtime = createTestRuntime({ WebSocket: WS })
    const socket = createSocket({ url, runtime: miniProgram(runtime.api), login: () => ({ u: user, token: signToken(SECRET, user) }), ...options })
    cleanups.push(() => socket.close())
    return { runtime, socket }
  }

  it('network off and on in the runtime: queued requests go out the moment the network is back', async () => {
    const srv = await server()
    // The retry timer says 30 s; the network event must not wait for it.
    const { runtime, socket } = miniProgramClient(srv.url, 'user:12', { reconnect: { minDelay: 30_000, maxDelay: 30_000 } })
    socket.connectionLoop()
    await socket.ready()
    runtime.networkOff()
    await eventually(() => expect(socket.status).toBe('idle'))
    const queued = socket.request('echo', 'sent after the network came back', { timeout: 20_000 })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(runtime.openTasks).toHaveLength(0)
    runtime.networkOn()
    expect(await queued).toBe('sent after the network came back')
    expect(runtime.openTasks).toHaveLength(1)
  })

  it('app hidden while its socket dies silently, then shown: probed at once, replaced, pushes flow again', async () => {
    const srv = await server()
    // The next heartbeat is a minute away: only the probe on show can find the dead socket.
    const { runtime, socket } = miniProgramClient(srv.url, 'user:13', {
      reconnect: { minDelay: 100, maxDelay: 200 },
      heartbeat: { interval: 60_000, timeout: 500 },
    })
    const received: unknown[] = []
    socket.on('note', (message) => received.push(message.msg))
    socket.connectionLoop()
    await socket.ready()
    runtime.hide({ dropSockets: true })
    const tasks = runtime.tasks.length
    const shownAt = Date.now()
    runtime.show()
    await eventually(() => expect(runtime.tasks.length).toBe(tasks + 1), 5000)
    await socket.ready()
    expect(Date.now() - shownAt).toBeLessThan(5000)
    await srv.push({ event: 'note', msg: 'n1', to: 'user:13' })
    await eventually(() => expect(received).toEqual(['n1']))
    expect(runtime.openTasks).toHaveLength(1)
  })

  it('100 clients dropped at once come back spread out by jitter, with nothing delivered twice', async () => {
    const srv = await server({ RATE_LIMIT: '0' })
    const clients = Array.from({ length: 100 }, (_, i) =>
      sdk(srv.url, `user:${100 + i}`, { reconnect: { minDelay: 1000, maxDelay: 4000, jitter: 0.5 }, heartbeat: false }),
    )
    const got = new Map<number, string[]>()
    clients.forEach((client, i) => client.on('seq', (message) => got.set(i, [...(got.get(i) ?? []), message.msg])))
    for (const client of clients) client.connectionLoop()
    await Promise.all(clients.map((client) => client.ready()))
    const back: number[] = []
    clients.forEach((client) => client.onStatus((status) => status === 'online' && back.push(Date.now())))
    const restartedAt = Date.now()
    const port = srv.port
    await srv.kill('SIGKILL')
    await server({ RATE_LIMIT: '0' }, port)
    await Promise.all(clients.map((client) => client.ready()))
    const offsets = back.map((time) => time - restartedAt).sort((a, b) => a - b)
    const spread = offsets[offsets.length - 1] - offsets[0]
    const buckets = [0, 0, 0, 0, 0]
    for (const offset of offsets) buckets[Math.min(4, Math.floor(((offset - offsets[0]) / (spread || 1)) * 5))]++
    console.log(`reconnect storm: 100 clients back between ${offsets[0]} and ${offsets[99]} ms after the restart; spread ${spread} ms; per fifth: ${buckets.join(' ')}`)
    expect(back).toHaveLength(100)
    // Jitter 0.5 on a 1000 ms delay: the first retries spread over about 500 ms.
    expect(spread).toBeGreaterThan(200)
    const newServer = clients[0]
    expect(newServer.status).toBe('online')
    const to = clients.map((_, i) => `user:${100 + i}`)
    const { delivered } = await (await fetch(`http://127.0.0.1:${port}/push`, {
      method: 'POST',
      headers: { authorization: 'Bearer e2e-push-secret', 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'seq', msg: 'once', to }),
    })).json()
    expect(delivered).toBe(100)
    await eventually(() => expect(got.size).toBe(100))
    await new Promise((resolve) => setTimeout(resolve, 100))
    for (const messages of got.values()) expect(messages).toEqual(['once'])
  })
})
