// Issue 11 over real sockets: servers that misbehave the way real backends do (accept then close,
// never answer a ping, kick, expire tokens, send hostile frames), each a small `ws` server on
// 127.0.0.1, and the SDK through `ws` and through the mini-program test runtime.
import type { IncomingMessage } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer, type RawData, type WebSocket as ServerSocket } from 'ws'
import { miniProgram } from '../../src/adapters/miniprogram'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import { AuthError, ClosedError, KickedError, OfflineError } from '../../src/errors'
import type { SocketOptions } from '../../src/options'
import { jsonProtocol, type Protocol } from '../../src/protocol'
import { createTestRuntime, type TestRuntimeFlavour } from '../../src/testing'
import type { MpSocket } from '../../src/types'
import { eventually } from '../support/processes'

const cleanups: Array<() => unknown> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Behaviour {
  /** Called for every accepted socket, with the upgrade request. */
  connection?(socket: ServerSocket, request: IncomingMessage): void
  /** Called for every parsed JSON frame; return a reply body (or throw a `[code, body]` pair) for requests. */
  message?(socket: ServerSocket, frame: { event?: string; data?: unknown; uuid?: unknown }, raw: RawData, isBinary: boolean): unknown
}

/** A misbehaving server: counts its connections, logs in anyone unless told otherwise. */
async function hostile(behaviour: Behaviour = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const state = { connections: 0, requests: [] as string[] }
  server.on('connection', (socket, request) => {
    state.connections++
    socket.on('message', (raw, isBinary) => {
      let frame: { event?: string; data?: unknown; uuid?: unknown } = {}
      try {
        frame = JSON.parse(String(raw))
      } catch {
        // binary or not JSON: handed over as it is
      }
      if (frame.event) state.requests.push(frame.event)
      let body: unknown = 'ok'
      let error = 0
      try {
        const answer = behaviour.message?.(socket, frame, raw, isBinary)
        if (answer !== undefined) body = answer
      } catch (failure) {
        ;[error, body] = failure as [number, unknown]
      }
      if (frame.uuid !== undefined && socket.readyState === socket.OPEN) {
        socket.send(JSON.stringify({ type: 'respon', event: frame.uuid, data: { error, body } }))
      }
    })
    behaviour.connection?.(socket, request)
  })
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const client of server.clients) client.terminate()
    server.close(() => resolve())
  }))
  const { port } = server.address() as { port: number }
  return { url: `ws://127.0.0.1:${port}/ws`, state, server }
}

function sdk(url: SocketOptions['url'], options: Partial<SocketOptions> = {}) {
  const socket = createSocket({ url, runtime: web(WebSocket), login: () => ({ u: 'user:1', token: 't' }), ...options })
  cleanups.push(() => socket.close())
  return socket
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a connection that never storms', () => {
  it('an accept-then-close server sees exponential backoff over 10 s, not dozens of reconnects', async () => {
    const server = await hostile({ connection: (socket) => socket.close(1000) })
    const socket = sdk(server.url, { login: undefined, reconnect: { minDelay: 1000, maxDelay: 30_000, jitter: 0.5 } })
    socket.connectionLoop()
    await sleep(10_000)
    // Before the fix: 28-36 connections in 3 s. Now at most 5 in 10 s (delays of at least
    // 0.5, 1, 2, 4 s), and it does keep trying.
    expect(server.state.connections).toBeGreaterThanOrEqual(3)
    expect(server.state.connections).toBeLessThanOrEqual(5)
  }, 20_000)

  it('a server that accepts the login and then cuts the socket gets growing delays and maxRetries ends it', async () => {
    const server = await hostile({
      message: (socket, frame) => {
        if (frame.event === 'login') setTimeout(() => socket.close(1011), 5)
      },
    })
    const socket = sdk(server.url, { reconnect: { minDelay: 100, maxDelay: 5000, maxRetries: 4 } })
    socket.connectionLoop()
    await expect(eventually(() => socket.ready().then(() => Promise.reject(new Error('still trying')), (error) => error), 15_000, 100)).resolves.toBeInstanceOf(OfflineError)
    expect(server.state.connections).toBe(5)
  }, 20_000)
})

describe('liveness for every kind of server', () => {
  it('a silent server and heartbeat ping: false: the dead connection is dropped and replaced', async () => {
    // Like the Python brokers: logs in, then never sends or answers anything again.
    const server = await hostile({ message: (_socket, frame) => (frame.event === 'login' ? undefined : new Promise(() => {})) })
    const socket = sdk(server.url, { heartbeat: { interval: 300, timeout: 300, ping: false }, reconnect: { minDelay: 50, maxDelay: 100 } })
    const drops: ClosedError[] = []
    socket.onStatus((status, _previous, error) => status === 'idle' && drops.push(error as ClosedError))
    socket.connectionLoop()
    await socket.ready()
    await eventually(() => expect(server.state.connections).toBeGreaterThanOrEqual(2), 10_000)
    expect(drops[0]).toMatchObject({ code: 4002 })
    // Nothing was ever sent to ask: the client only listened.
    expect(server.state.requests.filter((event) => event !== 'login')).toEqual([])
  })

  it('reconnect() replaces a connection at once, also one the client believes alive', async () => {
    const server = await hostile()
    const socket = sdk(server.url, { heartbeat: false, reconnect: { minDelay: 60_000 } })
    socket.connectionLoop()
    await socket.ready()
    socket.reconnect()
    await eventually(() => expect(server.state.connections).toBe(2))
    await socket.ready()
    expect(await socket.request('echo')).toBe('ok')
  })
})

describe('final decisions and the auth lifecycle', () => {
  it('a kick (close frame, then close 4409) stops the client for good: no reconnect, ready() rejects', async () => {
    const server = await hostile({
      message: (socket, frame) => {
        if (frame.event === 'kick-me') {
          socket.send(JSON.stringify({ type: 'close', code: 4409, reason: 'logged in elsewhere' }))
          socket.close(4409, 'logged in elsewhere')
        }
      },
    })
    const socket = sdk(server.url, { reconnect: { minDelay: 50, maxDelay: 100 } })
    socket.connectionLoop()
    await socket.ready()
    socket.send('kick-me')
    const error = await eventually(() => socket.ready().then(() => Promise.reject(new Error('still online')), (e) => e))
    expect(error).toBeInstanceOf(KickedError)
    expect(error).toMatchObject({ code: 4409, reason: 'logged in elsewhere' })
    await sleep(1000)
    expect(server.state.connections).toBe(1)
    socket.connectionLoop()
    await socket.ready()
    expect(server.state.connections).toBe(2)
  })

  it('an expired login token is refreshed once, at once; a refused one ends in AuthError after authAttempts', async () => {
    const server = await hostile({
      message: (_socket, frame) => {
        if (frame.event !== 'login') return
        const { token } = frame.data as { token: string }
        if (token === 'stale') throw [419, 'token expired']
        if (token !== 'fresh') throw [401, 'invalid token']
      },
    })
    const asked: boolean[] = []
    const socket = sdk(server.url, {
      login: ({ refresh }) => (asked.push(refresh), { u: 'user:1', token: refresh ? 'fresh' : 'stale' }),
      reconnect: { minDelay: 60_000 },
    })
    socket.connectionLoop()
    await socket.ready()
    expect(asked).toEqual([false, true])
    expect(server.state.connections).toBe(2)

    const refused = sdk(server.url, { login: () => ({ u: 'user:2', token: 'forged' }), authAttempts: 3, reconnect: { minDelay: 20, maxDelay: 50 } })
    refused.connectionLoop()
    const error = await eventually(() => refused.ready().then(() => Promise.reject(new Error('online?')), (e) => e))
    expect(error).toBeInstanceOf(AuthError)
    expect(server.state.connections).toBe(2 + 3)
  })

  it('a token in the URL that expired (close frame 4419) gets a fresh url() once, at once', async () => {
    const server = await hostile({
      connection: (socket, request) => {
        if (!request.url?.includes('token=fresh')) {
          socket.send(JSON.stringify({ type: 'close', code: 4419, reason: 'token expired' }))
          socket.close(4419, 'token expired')
        }
      },
    })
    const urls: string[] = []
    const socket = sdk(({ refresh }) => {
      urls.push(refresh ? 'fresh' : 'stale')
      return `${server.url}?token=${refresh ? 'fresh' : 'stale'}`
    }, { login: undefined, reconnect: { minDelay: 60_000 } })
    socket.connectionLoop()
    await eventually(() => expect(server.state.connections).toBe(2))
    await socket.ready()
    expect(urls).toEqual(['stale', 'fresh'])
  })
})

describe('hostile frames and results', () => {
  it('a server ping whose id cannot be re-encoded costs that frame, not the connection', async () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`
    const server = await hostile({
      message: (socket, frame) => {
        if (frame.event === 'hit-me') socket.send(`{"type":"ping","uuid":${deep}}`)
      },
    })
    // A protocol whose pong encoder chokes on that id, as JSON.stringify does on a deeper one.
    const protocol: Protocol = {
      ...jsonProtocol,
      encodePong: (id) => {
        if (Array.isArray(id)) throw new RangeError('Maximum call stack size exceeded')
        return jsonProtocol.encodePong(id)
      },
    }
    const socket = sdk(server.url, { protocol })
    socket.connectionLoop()
    await socket.ready()
    await socket.send('hit-me')
    await sleep(100)
    expect(socket.status).toBe('online')
    expect(await socket.request('still-there')).toBe('ok')
    expect(server.state.connections).toBe(1)
  })

  it('send() resolves once written and rejects when dropped, over a real socket', async () => {
    const server = await hostile()
    const socket = sdk(server.url, { queue: { max: 1 } })
    const queued = socket.send('queued')
    await expect(socket.send('overflow')).rejects.toBeInstanceOf(OfflineError)
    socket.connectionLoop()
    await expect(queued).resolves.toBeUndefined()
    await eventually(() => expect(server.state.requests).toContain('queued'))
  })
})

describe('connect options and binary on each runtime', () => {
  function onRuntime(flavour: TestRuntimeFlavour, url: string, options: Partial<SocketOptions>) {
    const runtime = createTestRuntime({ flavour, WebSocket })
    const adapter = flavour === 'my' ? undefined : miniProgram(runtime.api)
    const restore = flavour === 'my' ? runtime.install() : undefined
    if (restore) cleanups.push(restore)
    const socket: MpSocket = createSocket({ url, runtime: adapter || 'my', login: undefined, ...options })
    cleanups.push(() => socket.close())
    return socket
  }

  it.each(['wx', 'my'] as const)('%s: headers and sub-protocols reach the server; a view goes out as exactly its bytes', async (flavour) => {
    const seen: Array<{ header?: string; protocol?: string }> = []
    const binary: number[][] = []
    const server = await hostile({
      connection: (_socket, request) => seen.push({ header: request.headers['x-app'] as string, protocol: request.headers['sec-websocket-protocol'] }),
      message: (socket, _frame, raw, isBinary) => {
        if (!isBinary) return
        binary.push([...(raw as Buffer)])
        socket.send(Uint8Array.from([7, 8, 9]))
      },
    })
    const backing = new Uint8Array([0, 0, 1, 2, 3, 0, 0])
    const received: number[][] = []
    const protocol: Protocol = {
      ...jsonProtocol,
      encodeSend: () => backing.subarray(2, 5),
      decode: (frame) => (typeof frame === 'string' ? jsonProtocol.decode(frame) : { kind: 'push', event: 'bytes', message: [...new Uint8Array(frame)] }),
    }
    const socket = onRuntime(flavour, server.url, { protocol, connectOptions: { header: { 'x-app': 'demo' }, protocols: ['mp.v1'] } })
    socket.on('bytes', (bytes: number[]) => received.push(bytes))
    socket.connectionLoop()
    await socket.ready()
    await socket.send('binary')
    await eventually(() => expect(received).toEqual([[7, 8, 9]]))
    expect(binary).toEqual([[1, 2, 3]])
    expect(seen[0]).toEqual({ header: 'demo', protocol: 'mp.v1' })
  })

  it('web adapter in Node: headers and sub-protocols through ws', async () => {
    const seen: string[] = []
    const server = await hostile({ connection: (_socket, request) => seen.push(`${request.headers['x-app']} ${request.headers['sec-websocket-protocol']}`) })
    const socket = sdk(server.url, { login: undefined, connectOptions: { header: { 'x-app': 'node' }, protocols: ['mp.v1'] } })
    socket.connectionLoop()
    await socket.ready()
    expect(seen).toEqual(['node mp.v1'])
  })
})
