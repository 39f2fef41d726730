// Issue 11 against the reference server (in process, real sockets): token expiry and refresh, a
// token in the URL, a kick from the backend, refused logins, the one-way ping.
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createServer, signToken, verifyToken } from '../../examples/server/src/index'
import { web } from '../../src/adapters/web'
import { createSocket } from '../../src/create'
import { AuthError, KickedError } from '../../src/errors'
import type { SocketOptions } from '../../src/options'
import { eventually } from '../support/processes'

const SECRET = 'auth-e2e-secret'
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function reference() {
  const server = createServer({ secret: SECRET, rateLimit: false })
  server.handle('echo', (data) => data)
  await server.listen()
  cleanups.push(() => server.close())
  return { server, url: `ws://127.0.0.1:${server.port}/ws` }
}

function sdk(options: Partial<SocketOptions> & Pick<SocketOptions, 'url'>) {
  const socket = createSocket({ runtime: web(WebSocket), reconnect: { minDelay: 20, maxDelay: 100 }, ...options })
  cleanups.push(() => socket.close())
  return socket
}

describe('the auth lifecycle against the reference server', () => {
  it('an expired login token is refreshed once, at once, and the client carries on', async () => {
    const { url } = await reference()
    // What the app has cached: valid at first, expired by the time the app comes back.
    let cached = signToken(SECRET, 'user:1', { expiresIn: 3600 })
    const asked: boolean[] = []
    const socket = sdk({
      url,
      login: ({ refresh }) => {
        asked.push(refresh)
        return { u: 'user:1', token: refresh ? signToken(SECRET, 'user:1', { expiresIn: 3600 }) : cached }
      },
    })
    socket.connectionLoop()
    await socket.ready()
    cached = signToken(SECRET, 'user:1', { expiresIn: -60 })
    expect(verifyToken(SECRET, 'user:1', cached)).toBe('expired')
    // The app comes back later: a new connection with the cached token, now expired.
    socket.reconnect()
    await eventually(() => expect(asked).toEqual([false, false, true]))
    await socket.ready()
    expect(await socket.request('echo', 'still here')).toBe('still here')
  })

  it('a token in the URL that expired gets one fresh url() at once', async () => {
    const { url } = await reference()
    const expired = signToken(SECRET, 'user:2', { expiresIn: -60 })
    const asked: boolean[] = []
    const socket = sdk({
      url: ({ refresh }) => {
        asked.push(refresh)
        const token = refresh ? signToken(SECRET, 'user:2') : expired
        return `${url}?u=user:2&token=${token}`
      },
    })
    socket.connectionLoop()
    // Without a login the client is online once the socket opens: the server's close frame 4419
    // comes just after, and the next connect asks for a fresh URL at once.
    await eventually(() => expect(asked).toEqual([false, true]))
    await socket.ready()
    expect(await socket.request('echo', 'via url token')).toBe('via url token')
  })

  it('a kick from the backend stops the client with KickedError: no reconnect until connectionLoop()', async () => {
    const { server, url } = await reference()
    const socket = sdk({ url, login: () => ({ u: 'user:3', token: signToken(SECRET, 'user:3') }) })
    socket.connectionLoop()
    await socket.ready()
    expect(await server.disconnect('user:3', 4409, 'logged in elsewhere')).toBe(1)
    const error = await eventually(() => socket.ready().then(() => Promise.reject(new Error('online')), (e) => e))
    expect(error).toBeInstanceOf(KickedError)
    expect(error).toMatchObject({ code: 4409, reason: 'logged in elsewhere' })
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(server.socketsOf('user:3')).toBe(0)
    socket.connectionLoop()
    await socket.ready()
    expect(server.socketsOf('user:3')).toBe(1)
  })

  it('a forged token ends in AuthError after authAttempts refusals, and a URL token refused for good at once', async () => {
    const { url } = await reference()
    const forged = sdk({ url, login: () => ({ u: 'user:4', token: 'forged' }), authAttempts: 2 })
    forged.connectionLoop()
    expect(await forged.ready().catch((e) => e)).toBeInstanceOf(AuthError)
    const viaUrl = sdk({ url: `${url}?u=user:5&token=forged` })
    viaUrl.connectionLoop()
    const error = await eventually(() => viaUrl.ready().then(() => Promise.reject(new Error('online')), (e) => e))
    expect(error).toBeInstanceOf(AuthError)
    expect(error.code).toBe(4403)
  })

  it("heartbeat ping: 'send' keeps a quiet connection alive with the server's pong", async () => {
    const { url } = await reference()
    const drops: number[] = []
    const socket = sdk({ url, login: () => ({ u: 'user:6', token: signToken(SECRET, 'user:6') }), heartbeat: { interval: 100, timeout: 300, ping: 'send' } })
    socket.onStatus((status, _previous, error) => status === 'idle' && drops.push((error as { code: number }).code))
    socket.connectionLoop()
    await socket.ready()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(drops).toEqual([])
    expect(socket.status).toBe('online')
  })
})
