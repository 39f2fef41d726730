import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { requestIn, taroH5Options, uniH5Options, useHarnessPages, type Settled } from '../support/browser'
import { startDecisionServer, type DecisionServer } from '../support/decision-server'
import { eventually } from '../support/processes'
import type { Protocol } from '../../src/index'

// The server's final decisions (docs/protocol.md: a close frame, then the close code) on socket
// implementations we did not write: uni-app's H5 runtime, which passes close codes on, and Taro's
// H5 runtime, which loses them (docs/runtime-notes.md#close-codes), in Chromium, over real sockets
// to a small `ws` server in this process.
type Runtime = 'uni' | 'taro'

// Own page names: runtimes.test.ts bundles uni-harness.ts at the same time, in parallel.
const { cleanups, openPage } = useHarnessPages({
  'final-uni': { entry: join(__dirname, 'pages/uni-harness.ts'), options: uniH5Options },
  'final-taro': { entry: join(__dirname, 'pages/taro-harness.ts'), options: taroH5Options },
})

async function decisionServer() {
  const server = await startDecisionServer()
  cleanups.push(() => server.close())
  return server
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What the page saw: the client's statuses, its `url()` calls, and the runtime's own reports. */
interface Recorded {
  statuses: Array<{ status: string; name?: string; code?: number }>
  /** `context.refresh` of every `url()` call. */
  urlRefresh: boolean[]
  /** Sockets the runtime was asked to open. */
  attempts: number
  /** What the runtime's SocketTask passed to onClose, before the SDK read it. */
  rawCloses: unknown[]
  /** The type of each binary frame's data as the runtime's onMessage delivered it. */
  rawBinaryTypes: string[]
  /** Frames delivered to the client, in order (binary test only). */
  frames: Array<{ text: string } | { type: string; bytes: number[] }>
}

declare global {
  interface Window {
    /** What this suite's page recorded (runtimes.test.ts keeps its own `recorded`). */
    finalRecorded: Recorded
  }
  interface Navigator {
    /** Chromium's Network Information API (not in TypeScript's DOM library). */
    readonly connection?: EventTarget
  }
}

/** The parts of a runtime's SocketTask the page wraps to see what the runtime reports. */
interface TaskEvents {
  onClose(callback: (result: unknown) => void): void
  onMessage(callback: (result: { data: unknown }) => void): void
}

/** What `send('bytes', ...)` carries in the binary test: a window into a larger buffer. */
interface BytesRequest {
  whole: number[]
  offset: number
  length: number
}


interface ClientOptions {
  reconnect?: { minDelay: number; maxDelay: number; jitter?: number }
  /** Reads binary frames as pushes and sends `send('bytes', ...)` as a view into a larger buffer. */
  binary?: boolean
}

/**
 * Opens a harness page and starts a client in it through the runtime's own connectSocket, with
 * `url()` giving `?token=stale` and, when asked to refresh, `?token=fresh`.
 */
async function openClient(runtime: Runtime, server: DecisionServer, options: ClientOptions = {}) {
  const { page, errors } = await openPage(`final-${runtime}`)
  await page.evaluate(
    ({ base, reconnect, binary }) => {
      const w = window
      const recorded: Recorded = { statuses: [], urlRefresh: [], attempts: 0, rawCloses: [], rawBinaryTypes: [], frames: [] }
      w.finalRecorded = recorded
      // Sees what the runtime's SocketTask itself reports, before the SDK reads it.
      const watchTask = <Task extends TaskEvents>(task: Task) => {
        const { onClose, onMessage } = task
        task.onClose = (callback: (result: unknown) => void) =>
          onClose.call(task, (result: unknown) => {
            recorded.rawCloses.push(result === undefined ? 'undefined' : JSON.parse(JSON.stringify(result)))
            callback(result)
          })
        task.onMessage = (callback: (result: { data: unknown }) => void) =>
          onMessage.call(task, (result: { data: unknown }) => {
            if (typeof result.data !== 'string') recorded.rawBinaryTypes.push(Object.prototype.toString.call(result.data))
            callback(result)
          })
        return task
      }
      let adapter: Parameters<typeof w.mp.createSocket>[0]['runtime']
      if (w.taroApi) {
        const connectSocket = w.taroApi.connectSocket
        w.taroApi.connectSocket = (connectOptions) => (recorded.attempts++, connectSocket(connectOptions).then(watchTask))
        adapter = w.mp.taro(w.taroApi)
      } else {
        const connectSocket = w.uniH5.connectSocket
        w.uniH5.connectSocket = (connectOptions: unknown) => (recorded.attempts++, watchTask(connectSocket(connectOptions)))
        adapter = 'uni'
      }
      const json = w.mp.jsonProtocol
      const protocol: Protocol = binary
        ? {
            ...json,
            decode: (frame: unknown) => (typeof frame === 'string' ? json.decode(frame) : { kind: 'push', event: 'binary', message: frame }),
            encodeSend: (event: string, data: unknown) => {
              if (event !== 'bytes') return json.encodeSend(event, data)
              // The test's own request shape (BytesRequest), sent by the binary test below.
              const { whole, offset, length } = data as BytesRequest
              return new Uint8Array(new Uint8Array(whole).buffer, offset, length)
            },
          }
        : json
      w.socket = w.mp.createSocket({
        runtime: adapter,
        url: (context: { refresh: boolean }) => {
          recorded.urlRefresh.push(context.refresh)
          return `${base}?token=${context.refresh ? 'fresh' : 'stale'}`
        },
        login: (context: { refresh: boolean }) => ({ u: 'user:1', refresh: context.refresh }),
        heartbeat: false,
        reconnect,
        protocol,
      })
      w.socket.onStatus((status, _previous, error) => {
        recorded.statuses.push({ status, name: error && error.name, code: error && error.code })
      })
      w.socket.on('binary', (frame: ArrayBuffer) => {
        recorded.frames.push({ type: Object.prototype.toString.call(frame), bytes: Array.from(new Uint8Array(frame)) })
      })
      w.socket.on('text', (message: { msg: string }) => {
        recorded.frames.push({ text: message.msg })
      })
      w.socket.connectionLoop()
    },
    { base: server.url, reconnect: options.reconnect || { minDelay: 200, maxDelay: 400, jitter: 0 }, binary: !!options.binary },
  )
  return {
    errors,
    recorded: () => page.evaluate(() => window.finalRecorded),
    status: () => page.evaluate(() => window.socket.status),
    /** `ready()`, settled: `{ ok }` or the error's name, code and reason. */
    ready: () =>
      page.evaluate(() =>
        window.socket.ready().then(
          (): Settled => ({ ok: true }),
          (error: { name: string; code?: number | string; reason?: string }): Settled => ({ ok: false, name: error.name, code: error.code, reason: error.reason }),
        ),
      ),
    request: requestIn(page),
    /** The app hidden then shown, as the browser reports it: Taro's onAppShow listens to `visibilitychange`. */
    showApp: () =>
      page.evaluate(() => {
        for (const state of ['hidden', 'visible']) {
          Object.defineProperty(document, 'visibilityState', { value: state, configurable: true })
          document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
        }
      }),
    /** The network changing: both runtimes' onNetworkStatusChange listen to `navigator.connection`. */
    networkBack: () =>
      page.evaluate(() => {
        navigator.connection?.dispatchEvent(new Event('change'))
        window.dispatchEvent(new Event('online'))
      }),
    evaluate: page.evaluate.bind(page),
  }
}

const RUNTIMES: Record<Runtime, { name: string; appEvents: boolean }> = {
  // uni-h5 outside a uni-app has no app events: uni.onAppShow throws "getApp is not defined" and
  // uni.onNetworkStatusChange "UniServiceJSBridge is not defined", so nothing can wake the client
  // in this page (the SDK survives both). A full uni-app has them (apps.test.ts builds one).
  uni: { name: "uni-app's H5 runtime (@dcloudio/uni-h5)", appEvents: false },
  taro: { name: "Taro's H5 runtime (@tarojs/taro-h5)", appEvents: true },
}

for (const runtime of ['uni', 'taro'] as const) {
  const { name, appEvents } = RUNTIMES[runtime]

  describe(`${name}: the server's final decisions`, () => {
    it(`a kick (close frame 4409, then close 4409) stops the client with KickedError; ${appEvents ? 'app show and network back do not reconnect it; ' : ''}connectionLoop() does`, async () => {
      const server = await decisionServer()
      const client = await openClient(runtime, server)
      expect(await client.ready()).toEqual({ ok: true })
      server.end(server.connections[0], 4409, 'logged in elsewhere', { frame: true })

      await eventually(async () => expect(await client.status()).toBe('idle'))
      expect(await client.ready()).toEqual({ ok: false, name: 'KickedError', code: 4409, reason: 'logged in elsewhere' })
      expect(await client.request('echo', 'after the kick')).toMatchObject({ ok: false, name: 'KickedError', code: 4409 })
      expect((await client.recorded()).statuses.at(-1)).toEqual({ status: 'idle', name: 'KickedError', code: 4409 })

      // Backoff is 200-400 ms: a client that took the kick for a drop would be back many times.
      // The wake-ups are the ones the next test shows reconnecting a client that was not kicked.
      if (appEvents) await client.showApp()
      await pause(1500)
      if (appEvents) await client.networkBack()
      await pause(2000)
      expect(server.connections).toHaveLength(1)
      expect((await client.recorded()).attempts).toBe(1)
      expect(await client.status()).toBe('idle')

      await client.evaluate(() => window.socket.connectionLoop())
      expect(await client.ready()).toEqual({ ok: true })
      expect(server.loggedIn()).toHaveLength(2)
      expect(await client.request('echo', 'back')).toEqual({ ok: true, body: 'back' })
      expect(client.errors).toEqual([])
    })

    if (appEvents) {
      it('app show and network back do reach the client: one that was dropped, not kicked, reconnects on each at once', async () => {
        const server = await decisionServer()
        // Retries a minute apart: a reconnect within seconds can only be a wake-up.
        const client = await openClient(runtime, server, { reconnect: { minDelay: 60_000, maxDelay: 60_000 } })
        expect(await client.ready()).toEqual({ ok: true })
        server.end(server.connections[0], 1001, 'going away', { frame: false })
        await eventually(async () => expect(await client.status()).toBe('idle'))
        await client.showApp()
        await eventually(() => expect(server.loggedIn()).toHaveLength(2))
        expect(await client.ready()).toEqual({ ok: true })
        server.end(server.connections[1], 1001, 'going away', { frame: false })
        await eventually(async () => expect(await client.status()).toBe('idle'))
        await client.networkBack()
        await eventually(() => expect(server.loggedIn()).toHaveLength(3))
        expect(await client.ready()).toEqual({ ok: true })
        expect(client.errors).toEqual([])
      })
    }

    it('a close frame 4419 (token expired) brings exactly one immediate reconnect with a fresh token from url({ refresh: true })', async () => {
      const server = await decisionServer()
      // Retries a minute apart: a reconnect within seconds can only be the refresh path.
      const client = await openClient(runtime, server, { reconnect: { minDelay: 60_000, maxDelay: 60_000 } })
      expect(await client.ready()).toEqual({ ok: true })
      expect(server.connections[0].url).toBe('/ws?token=stale')
      server.end(server.connections[0], 4419, 'token expired', { frame: true })

      await eventually(() => expect(server.loggedIn()).toHaveLength(2))
      expect(await client.ready()).toEqual({ ok: true })
      expect(server.connections[1].url).toBe('/ws?token=fresh')
      expect(server.connections[1].logins).toMatchObject([{ u: 'user:1', refresh: true }])
      await pause(1500)
      expect(server.connections).toHaveLength(2)
      const recorded = await client.recorded()
      expect(recorded.urlRefresh).toEqual([false, true])
      expect(recorded.attempts).toBe(2)
      expect(await client.request('echo', 'fresh')).toEqual({ ok: true, body: 'fresh' })
      expect(client.errors).toEqual([])
    })
  })
}

describe('a kick by close code alone (no close frame): what each runtime passes on', () => {
  it("uni-h5 reports the server's code (onClose {code: 4409, reason}), so the client stops with KickedError even without the frame", async () => {
    const server = await decisionServer()
    const client = await openClient('uni', server)
    expect(await client.ready()).toEqual({ ok: true })
    server.end(server.connections[0], 4409, 'banned', { frame: false })

    await eventually(async () => expect((await client.recorded()).rawCloses).toEqual([{ code: 4409, reason: 'banned' }]))
    await eventually(async () => expect(await client.status()).toBe('idle'))
    expect(await client.ready()).toEqual({ ok: false, name: 'KickedError', code: 4409, reason: 'banned' })
    await pause(2000)
    expect(server.connections).toHaveLength(1)
    expect(client.errors).toEqual([])
  })

  it('Taro H5 reports {code: 1006, reason: "abnormal closure"} for every server close: without the frame the kicked client keeps coming back, with backoff', async () => {
    const server = await decisionServer()
    // The backend kicks this user every time it logs in (banned), by close code only.
    server.endEveryLogin(4409, 'banned', { frame: false })
    const client = await openClient('taro', server, { reconnect: { minDelay: 200, maxDelay: 400, jitter: 0 } })

    await eventually(() => expect(server.loggedIn().length).toBeGreaterThanOrEqual(4))
    const recorded = await client.recorded()
    expect(recorded.rawCloses.length).toBeGreaterThanOrEqual(3)
    expect(recorded.rawCloses.every((close) => JSON.stringify(close) === JSON.stringify({ code: 1006, reason: 'abnormal closure' }))).toBe(true)
    const idle = recorded.statuses.filter((status) => status.status === 'idle')
    expect(idle.length).toBeGreaterThanOrEqual(3)
    expect(idle.every((status) => status.name === 'ClosedError' && status.code === 1006)).toBe(true)
    // Not a spinning loop: the backoff holds (200, 400, 400... ms apart; hundreds if it spun).
    const before = server.connections.length
    await pause(2000)
    expect(server.connections.length - before).toBeLessThanOrEqual(15)

    // The same decision with the frame first: the client stops for good on the next kick.
    server.endEveryLogin(4409, 'banned', { frame: true })
    await eventually(async () => expect((await client.recorded()).statuses.at(-1)).toEqual({ status: 'idle', name: 'KickedError', code: 4409 }))
    const stoppedAt = server.connections.length
    await pause(2000)
    expect(server.connections).toHaveLength(stoppedAt)
    expect(client.errors).toEqual([])
  })
})

describe('binary frames', () => {
  for (const runtime of ['uni', 'taro'] as const) {
    it(`${RUNTIMES[runtime].name}: arrive as ArrayBuffer with their exact bytes, in order with text; a view goes out as exactly its bytes`, async () => {
      const server = await decisionServer()
      const client = await openClient(runtime, server, { binary: true })
      expect(await client.ready()).toEqual({ ok: true })
      const all = Array.from({ length: 256 }, (_, index) => index)
      const text = (msg: string) => JSON.stringify({ type: 'app', event: 'text', msg })
      server.sendFrames(server.connections[0], [new Uint8Array([1, 2, 3]), text('a'), new Uint8Array(all), new Uint8Array([]), text('b'), new Uint8Array([0xff, 0, 0x7f])])

      await eventually(async () => expect((await client.recorded()).frames).toHaveLength(6))
      const { frames, rawBinaryTypes } = await client.recorded()
      const binary = (bytes: number[]) => ({ type: '[object ArrayBuffer]', bytes })
      expect(frames).toEqual([binary([1, 2, 3]), { text: 'a' }, binary(all), binary([]), { text: 'b' }, binary([0xff, 0, 0x7f])])
      // What the runtime hands over before the SDK reads it: Taro H5 leaves binaryType at 'blob'.
      expect(rawBinaryTypes).toEqual(Array(4).fill(runtime === 'taro' ? '[object Blob]' : '[object ArrayBuffer]'))

      // Bytes 3..6 of a 10-byte buffer: only those four go out, not the whole buffer behind the view.
      await client.evaluate(() => window.socket.send('bytes', { whole: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], offset: 3, length: 4 }))
      await eventually(() => expect(server.connections[0].binary).toEqual([[3, 4, 5, 6]]))
      expect(client.errors).toEqual([])
    })
  }
})

describe("Taro 4's H5 API object", () => {
  it('has no connectSocket on its default export: a Taro H5 app passes the functions (named imports) to taro()', async () => {
    const server = await decisionServer()
    const client = await openClient('taro', server)
    expect(await client.ready()).toEqual({ ok: true })
    const shapes = await client.evaluate(() => {
      const w = window
      return { fromDefault: typeof w.taroDefault.connectSocket, named: typeof w.taroApi.connectSocket, onAppShow: typeof w.taroDefault.onAppShow }
    })
    expect(shapes).toEqual({ fromDefault: 'undefined', named: 'function', onAppShow: 'undefined' })
  })
})
