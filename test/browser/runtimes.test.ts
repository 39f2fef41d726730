import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { signToken } from '../../examples/server/src/token'
import { requestIn, uniH5Options, useHarnessPages } from '../support/browser'
import { SECRET, eventually, freePort, startProxy, startServerProcessUntil, type ServerProcess } from '../support/processes'

// The SDK on socket implementations other people wrote: uni-app's H5 runtime (picked by
// runtime: 'auto' because `uni` exists) and Chromium's own WebSocket (auto, no uni).
const { cleanups, openPage } = useHarnessPages({
  'uni-harness': { entry: join(__dirname, 'pages/uni-harness.ts'), options: uniH5Options },
  'web-harness': { entry: join(__dirname, 'pages/harness.ts') },
})

const server = (env: Record<string, string> = {}, port = 0) => startServerProcessUntil(cleanups, env, port)

interface Recorded {
  statuses: Array<{ status: string; code?: number; cause?: string }>
  pushes: unknown[]
  connecting: number
}

declare global {
  interface Window {
    /** What this suite's page recorded (final.test.ts keeps its own `finalRecorded`). */
    recorded: Recorded
    /** Sockets opened through uni.connectSocket (the uni page). */
    uniSockets: number
  }
}


/** Opens a harness page and starts a socket in it, recording statuses and pushes on window. */
async function openClient(harness: 'uni' | 'web', url: string, user: string, options: Record<string, unknown> = {}) {
  const { context, page, errors } = await openPage(`${harness}-harness`)
  // Count the sockets opened through uni.connectSocket (the uni page only).
  await page.evaluate(() => {
    const w = window
    w.uniSockets = 0
    if (!w.uniH5) return
    const connectSocket = w.uniH5.connectSocket
    w.uniH5.connectSocket = (...args: unknown[]) => (w.uniSockets++, connectSocket(...args))
  })
  await page.evaluate(
    ({ url, login, options }) => {
      const w = window
      w.recorded = { statuses: [], pushes: [], connecting: 0 }
      w.socket = w.mp.createSocket({ url, login: () => login, ...options })
      w.socket.onStatus((status, _previous, error) => {
        const cause = error && error.cause
        w.recorded.statuses.push({ status, code: error && error.code, cause: cause instanceof Error ? cause.name : undefined })
        if (status === 'connecting') w.recorded.connecting++
      })
      w.socket.connectionLoop()
    },
    { url, login: { u: user, token: signToken(SECRET, user) }, options: { reconnect: { minDelay: 200, maxDelay: 1000 }, ...options } },
  )
  return {
    page,
    context,
    errors,
    ready: () => page.evaluate(() => window.socket.ready()),
    recorded: () => page.evaluate(() => window.recorded),
    request: requestIn(page),
    evaluate: page.evaluate.bind(page),
  }
}

for (const harness of ['uni', 'web'] as const) {
  describe(`${harness === 'uni' ? "uni-app's H5 runtime (uni.connectSocket)" : "Chromium's WebSocket"} against the reference server`, () => {
    it('picks the runtime by itself, logs in, requests, gets pushes, and a page removes its handler', async () => {
      const srv = await server()
      const client = await openClient(harness, srv.url, 'user:1')
      await client.ready()
      // With uni present, 'auto' must choose it over the browser's WebSocket.
      expect(await client.evaluate(() => window.uniSockets)).toBe(harness === 'uni' ? 1 : 0)
      expect(await client.request('echo', { text: '你好' })).toEqual({ ok: true, body: { text: '你好' } })
      expect(await client.request('missing')).toMatchObject({ ok: false, name: 'ServerError', code: 404 })
      await client.evaluate(() => {
        const w = window
        w.socket.on('chat7', (message: { msg: string }) => {
          w.recorded.pushes.push(message.msg)
        })
      })
      await srv.push({ event: 'chat7', msg: 'first', to: 'user:1' })
      await eventually(async () => expect((await client.recorded()).pushes).toEqual(['first']))
      await client.evaluate(() => window.socket.uninstall('chat7'))
      await srv.push({ event: 'chat7', msg: 'second', to: 'user:1' })
      await srv.push({ event: 'marker', msg: 'm', to: 'user:1' })
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect((await client.recorded()).pushes).toEqual(['first'])
      expect(client.errors).toEqual([])
    })

    it('logs in again by itself after the server restarts, and sees its close codes', async () => {
      const first = await server()
      const client = await openClient(harness, first.url, 'user:2')
      await client.ready()
      // SIGTERM: the server closes with 1012 (service restart).
      await first.kill('SIGTERM')
      await eventually(async () => expect((await client.recorded()).statuses.some((s) => s.status === 'idle' && s.code === 1012)).toBe(true))
      const second: ServerProcess = await server({ MAX_PAYLOAD: '1024' }, first.port)
      await client.ready()
      expect(await client.request('echo', 'after restart')).toEqual({ ok: true, body: 'after restart' })
      // A frame over the limit: closed with 1009, the request fails with it, the client comes back.
      expect(await client.request('echo', 'x'.repeat(4096))).toMatchObject({ ok: false, name: 'ClosedError', code: 1009 })
      await client.ready()
      expect(await client.request('echo', 'small')).toEqual({ ok: true, body: 'small' })
      const logins = (await client.recorded()).statuses.filter((s) => s.status === 'online').length
      expect(logins).toBe(3)
      expect(second.port).toBe(first.port)
    })

    it('backs off on a refused port instead of spinning', async () => {
      const port = await freePort()
      const client = await openClient(harness, `ws://127.0.0.1:${port}/ws`, 'user:3', { reconnect: { minDelay: 200, maxDelay: 400, jitter: 0 } })
      await new Promise((resolve) => setTimeout(resolve, 2000))
      const { connecting, statuses } = await client.recorded()
      // 0, 200, 400, 400, 400... ms apart: about 6 attempts in 2 s; a spinning loop would make hundreds.
      expect(connecting).toBeGreaterThanOrEqual(3)
      expect(connecting).toBeLessThanOrEqual(9)
      expect(statuses.filter((s) => s.status === 'idle').every((s) => s.code === 1006)).toBe(true)
      expect(client.errors).toEqual([])
    })
  })
}

describe("Chromium's WebSocket: network and visibility", () => {
  it('cannot reconnect while the browser is offline, and does so the moment it is back online', async () => {
    const srv = await server()
    const proxy = await startProxy(srv.port)
    cleanups.push(() => proxy.close())
    // Retries 20-40 s apart: coming back quickly can only be the browser's online event at work.
    const client = await openClient('web', proxy.url, 'user:4', { heartbeat: false, reconnect: { minDelay: 40_000, maxDelay: 40_000 } })
    await client.ready()
    await client.context.setOffline(true)
    // Chromium's offline mode leaves open sockets alone (seen here); the link dies under it.
    proxy.cut()
    await eventually(async () => expect(await client.evaluate(() => window.socket.status)).toBe('idle'))
    // Trying now fails: the browser is offline.
    await client.evaluate(() => window.socket.connectionLoop())
    await eventually(async () => expect((await client.recorded()).connecting).toBe(2))
    await eventually(async () => expect(await client.evaluate(() => window.socket.status)).toBe('idle'))
    expect(await client.evaluate(() => navigator.onLine)).toBe(false)
    const backAt = Date.now()
    await client.context.setOffline(false)
    await client.ready()
    expect(Date.now() - backAt).toBeLessThan(10_000)
    expect(await client.request('echo', 'back online')).toEqual({ ok: true, body: 'back online' })
  })

  it('a hidden page whose connection died is probed and replaced as soon as it is visible again', async () => {
    const srv = await server()
    const client = await openClient('web', srv.url, 'user:5', { heartbeat: { interval: 60_000, timeout: 500 }, reconnect: { minDelay: 100, maxDelay: 200 } })
    await client.ready()
    await client.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    // While hidden the server stops answering (frozen process: the TCP connection stays up).
    srv.child.kill('SIGSTOP')
    const shownAt = Date.now()
    await client.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await eventually(async () => expect((await client.recorded()).statuses.some((s) => s.status === 'idle' && s.code === 4002)).toBe(true), 5000)
    expect(Date.now() - shownAt).toBeLessThan(5000)
    srv.child.kill('SIGCONT')
    await client.ready()
    expect(await client.request('echo', 'visible again')).toEqual({ ok: true, body: 'visible again' })
  })
})
