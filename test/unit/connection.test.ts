// The connection lifecycle (issue 11): backoff that holds, liveness for every kind of server,
// final decisions, the auth lifecycle, send() results, guarded protocol calls, connect options.
import { describe, expect, it, vi } from 'vitest'
import { AuthError, ClosedError, FinalError, KickedError, OfflineError, TimeoutError } from '../../src/errors'
import { jsonProtocol, type Protocol } from '../../src/protocol'
import { flush } from '../support/fake-adapter'
import { useFakeClients } from '../support/fake-clients'

const { setup, goOnline } = useFakeClients()

describe('backoff that holds whatever the server does', () => {
  it('an accept-then-close server sees growing delays, not a storm, and maxRetries ends it', async () => {
    const { fake, client, statuses } = setup({ login: undefined, reconnect: { minDelay: 1000, maxDelay: 30_000, jitter: 0.5, maxRetries: 6 } })
    client.connectionLoop()
    const openedAt: number[] = []
    for (let i = 0; i < 20; i++) {
      await flush()
      if (fake.sockets.length > openedAt.length) {
        openedAt.push(Date.now())
        // Accepted (online at once: no login), then closed by the server straight away.
        fake.last.open()
        fake.last.serverClose(1000)
      }
      await vi.advanceTimersByTimeAsync(1000)
    }
    // Delays of at least 500, 1000, 2000, 4000, 8000 ms: at most 5 connections in the first 10 s.
    expect(openedAt.filter((time) => time - openedAt[0] < 10_000).length).toBeLessThanOrEqual(5)
    for (let i = 1; i < openedAt.length; i++) expect(openedAt[i] - openedAt[i - 1]).toBeGreaterThanOrEqual(500 * 2 ** (i - 1))
    await vi.advanceTimersByTimeAsync(120_000)
    for (let i = 0; i < 10 && fake.sockets.length < 7; i++) {
      fake.last.open()
      fake.last.serverClose(1000)
      await vi.advanceTimersByTimeAsync(120_000)
    }
    expect(fake.sockets).toHaveLength(7)
    expect(statuses.at(-1)?.[2]).toBeInstanceOf(ClosedError)
    await expect(client.ready()).rejects.toThrow('reconnect gave up')
    expect(client.status).toBe('idle')
  })
})

describe('liveness', () => {
  it('any frame received counts as life: no ping while pushes flow', async () => {
    const { fake, client } = setup({ heartbeat: { interval: 1000, timeout: 500 } })
    await goOnline(client, fake)
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(900)
      fake.last.receive({ type: 'app', event: 'tick' })
    }
    expect(fake.last.lastRequest('ping')).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.last.lastRequest('ping')).toBeDefined()
    // Any frame, not only the ping's reply, proves the connection alive.
    fake.last.receive({ type: 'app', event: 'tick' })
    await vi.advanceTimersByTimeAsync(500)
    expect(client.status).toBe('online')
    expect(fake.sockets).toHaveLength(1)
  })

  it("ping: 'send' writes the protocol's one-way ping and drops when nothing comes back", async () => {
    const { fake, client } = setup({ heartbeat: { interval: 1000, timeout: 500, ping: 'send' } })
    await goOnline(client, fake)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.last.sent.at(-1)).toEqual({ event: 'ping' })
    fake.last.receive({ type: 'pong' })
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.last.sent.filter((frame) => frame.event === 'ping')).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(500)
    expect(fake.last.closedWith).toEqual({ code: 4002, reason: 'ping timeout' })
    expect(client.status).toBe('idle')
  })

  it('ping: false sends nothing and drops a connection silent for interval + timeout', async () => {
    const { fake, client } = setup({ heartbeat: { interval: 1000, timeout: 500, ping: false }, reconnect: { minDelay: 100 } })
    await goOnline(client, fake)
    await vi.advanceTimersByTimeAsync(1499)
    expect(client.status).toBe('online')
    await vi.advanceTimersByTimeAsync(1)
    expect(fake.last.closedWith).toEqual({ code: 4002, reason: 'ping timeout' })
    expect(fake.sockets[0].sent.filter((frame) => frame.event !== 'login')).toEqual([])
    await vi.advanceTimersByTimeAsync(100)
    expect(fake.sockets).toHaveLength(2)
  })

  it('on app show, replaces a socket silent past every limit at once, and probes a quieter one', async () => {
    const { fake, client } = setup({ heartbeat: { interval: 1000, timeout: 500 }, reconnect: { minDelay: 60_000 } })
    await goOnline(client, fake)
    await vi.advanceTimersByTimeAsync(500)
    fake.wake()
    expect(fake.last.lastRequest('ping')).toBeDefined()
    fake.last.reply('ping', 'pong')
    // Background: timers stop while the clock runs on.
    vi.setSystemTime(Date.now() + 60_000)
    fake.wake()
    await flush()
    expect(fake.sockets[0].closedWith).toEqual({ code: 4002, reason: 'silent too long' })
    expect(fake.sockets).toHaveLength(2)
  })

  // Guards wake()'s limit: a socket is given up at once only when silent for interval + timeout,
  // as long as the heartbeat itself would have waited; a quieter one gets its ping (issue 16).
  it('on app show, probes a socket silent for less than interval + timeout and replaces one silent that long', async () => {
    const { fake, client } = setup({ heartbeat: { interval: 1000, timeout: 500 }, reconnect: { minDelay: 60_000 } })
    await goOnline(client, fake)
    // Background: the clock ran on while the timers stood still.
    vi.setSystemTime(Date.now() + 1499)
    fake.wake()
    await flush()
    expect(fake.sockets).toHaveLength(1)
    expect(fake.last.closedWith).toBeUndefined()
    expect(fake.last.lastRequest('ping')).toBeDefined()
    fake.last.reply('ping', 'pong')
    await flush()
    expect(client.status).toBe('online')
    vi.setSystemTime(Date.now() + 1500)
    fake.wake()
    await flush()
    expect(fake.sockets[0].closedWith).toEqual({ code: 4002, reason: 'silent too long' })
    expect(fake.sockets).toHaveLength(2)
  })

  it('reconnect() drops the socket and connects at once; written requests fail, queued ones go out', async () => {
    const { fake, client } = setup({ reconnect: { minDelay: 60_000 } })
    await goOnline(client, fake)
    const written = client.request('a').catch((error) => error)
    client.reconnect()
    expect(fake.sockets[0].closedWith).toEqual({ code: 4004, reason: 'reconnect' })
    expect(await written).toBeInstanceOf(ClosedError)
    const queued = client.request('b')
    await goOnline(client, fake, false)
    expect(fake.sockets).toHaveLength(2)
    fake.last.reply('b', 'B')
    await expect(queued).resolves.toBe('B')
  })
})

describe('final decisions', () => {
  it("a close frame 4409 stops the client with KickedError: ready() and queued requests reject, waking does not restart it", async () => {
    const { fake, client, statuses } = setup({ reconnect: { minDelay: 10 } })
    await goOnline(client, fake)
    const written = client.request('a').catch((error) => error)
    fake.last.receive({ type: 'close', code: 4409, reason: 'logged in elsewhere' })
    // uni-h5 reports the close with `{}`: the frame decided already.
    fake.last.serverClose(undefined as never)
    expect(await written).toBeInstanceOf(ClosedError)
    // Nothing will connect now: later requests and ready() fail at once instead of hanging.
    expect(await client.request('b').catch((error) => error)).toBeInstanceOf(KickedError)
    expect(await client.send('c').catch((error) => error)).toBeInstanceOf(KickedError)
    const ready = await client.ready().catch((error) => error)
    expect(client.status).toBe('idle')
    const final = statuses.at(-1)?.[2]
    expect(final).toBeInstanceOf(KickedError)
    expect(final).toBeInstanceOf(FinalError)
    expect(final).toMatchObject({ name: 'KickedError', code: 4409, reason: 'logged in elsewhere' })
    fake.wake()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fake.sockets).toHaveLength(1)
    expect(ready).toBeInstanceOf(KickedError)
    // The app decides: after a new login it starts the loop again.
    client.connectionLoop()
    await goOnline(client, fake, false)
    expect(fake.sockets).toHaveLength(2)
  })

  it('rejects ready() waiters and queued requests with the final error', async () => {
    const { fake, client } = setup()
    client.connectionLoop()
    await flush()
    const ready = client.ready().catch((error) => error)
    const queued = client.request('a').catch((error) => error)
    fake.last.open()
    fake.last.receive({ type: 'close', code: 4403, reason: 'account disabled' })
    expect(await ready).toBeInstanceOf(AuthError)
    expect(await queued).toBeInstanceOf(AuthError)
  })

  it('reads final close codes where the runtime reports them, and finalClose decides for other servers', async () => {
    const { fake, client } = setup({ finalClose: (code, reason) => code === 4100 || reason === 'bye' })
    await goOnline(client, fake)
    fake.last.serverClose(4409, 'not final for this server')
    await vi.advanceTimersByTimeAsync(1000)
    await goOnline(client, fake, false)
    const ready = client.ready()
    await ready
    fake.last.serverClose(4100, 'version')
    await expect(client.ready()).rejects.toMatchObject({ name: 'FinalError', code: 4100 })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fake.sockets).toHaveLength(2)
  })

  it('never takes its own close codes for a server decision', async () => {
    const { fake, client } = setup({ finalClose: () => true, heartbeat: { interval: 1000, timeout: 100 } })
    await goOnline(client, fake)
    await vi.advanceTimersByTimeAsync(1100)
    expect(fake.last.closedWith?.code).toBe(4002)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.sockets).toHaveLength(2)
  })
})

describe('auth lifecycle', () => {
  it('an expired token (419) asks login({ refresh: true }) for a fresh one and logs in again at once, uncounted', async () => {
    const login = vi.fn(({ refresh }: { refresh: boolean }) => ({ u: 'user:6', token: refresh ? 'fresh' : 'stale' }))
    const { fake, client } = setup({ login, reconnect: { minDelay: 60_000 } })
    client.connectionLoop()
    await flush()
    fake.last.open()
    expect(fake.last.lastRequest('login').data.token).toBe('stale')
    fake.last.reply('login', 'token expired', 419)
    await flush()
    expect(login).toHaveBeenLastCalledWith({ refresh: true })
    expect(fake.sockets).toHaveLength(2)
    fake.last.open()
    expect(fake.last.lastRequest('login').data.token).toBe('fresh')
    fake.last.reply('login', 'ok')
    await flush()
    expect(client.status).toBe('online')
    // The fresh token worked: later connects read the cached token again.
    client.reconnect()
    await flush()
    expect(login).toHaveBeenLastCalledWith({ refresh: false })
  })

  it('a token that expires again right after a refresh counts as refused and backs off', async () => {
    const { fake, client } = setup({ reconnect: { minDelay: 5000 } })
    client.connectionLoop()
    for (let i = 0; i < 2; i++) {
      await flush()
      fake.last.open()
      fake.last.reply('login', 'token expired', 419)
    }
    await flush()
    expect(fake.sockets).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(5000)
    expect(fake.sockets).toHaveLength(3)
  })

  it('refused logins back off with a fresh token each time and end in AuthError after authAttempts', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const login = vi.fn((_context: { refresh: boolean }) => ({ u: 'user:6', token: 'bad' }))
    const { fake, client } = setup({ login, authAttempts: 3, reconnect: { minDelay: 1000, jitter: 0.5 } })
    const ready = client.ready().catch((error) => error)
    client.connectionLoop()
    for (let attempt = 0; attempt < 3; attempt++) {
      await flush()
      fake.last.open()
      fake.last.reply('login', 'invalid token', 401)
      await flush()
      await vi.advanceTimersByTimeAsync(1000 * 2 ** attempt)
    }
    const error = await ready
    expect(error).toBeInstanceOf(AuthError)
    expect(error.cause).toMatchObject({ name: 'ServerError', code: 401 })
    expect(login.mock.calls.map((call) => call[0])).toEqual([{ refresh: false }, { refresh: true }, { refresh: true }])
    await vi.advanceTimersByTimeAsync(120_000)
    expect(fake.sockets).toHaveLength(3)
  })

  it('a login the server failed for another reason (500) is no refusal: same token, never AuthError', async () => {
    const login = vi.fn((_context: { refresh: boolean }) => ({ u: 'user:6', token: 'good' }))
    const { fake, client } = setup({ login, authAttempts: 1, reconnect: { minDelay: 1000, jitter: 0 } })
    client.connectionLoop()
    for (let attempt = 0; attempt < 3; attempt++) {
      await flush()
      fake.last.open()
      fake.last.reply('login', 'database down', 500)
      await flush()
      expect(fake.last.closedWith).toEqual({ code: 4001, reason: 'login failed' })
      await vi.advanceTimersByTimeAsync(1000 * 2 ** attempt)
    }
    expect(fake.sockets).toHaveLength(4)
    expect(login.mock.calls.map((call) => call[0])).toEqual([{ refresh: false }, { refresh: false }, { refresh: false }, { refresh: false }])
  })

  it('a token in the URL that expired (4419) gets a fresh url() at once, once; again backs off', async () => {
    const url = vi.fn(({ refresh }: { refresh: boolean }) => `wss://example.test/ws?token=${refresh ? 'fresh' : 'stale'}`)
    const { fake, client } = setup({ url, login: undefined, reconnect: { minDelay: 5000 } })
    client.connectionLoop()
    await flush()
    fake.last.open()
    fake.last.receive({ type: 'close', code: 4419, reason: 'token expired' })
    await flush()
    expect(fake.sockets.map((socket) => socket.url)).toEqual(['wss://example.test/ws?token=stale', 'wss://example.test/ws?token=fresh'])
    fake.last.open()
    fake.last.receive({ type: 'close', code: 4419, reason: 'token expired' })
    await flush()
    expect(fake.sockets).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(5000)
    expect(fake.sockets).toHaveLength(3)
    expect(fake.last.url).toContain('fresh')
  })
})

describe('send() results', () => {
  it('resolves once written, rejects when dropped, and an ignored rejection is never unhandled', async () => {
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const { fake, client } = setup({ queue: { max: 1 }, requestTimeout: 1000 })
      client.connectionLoop()
      await flush()
      const queued = client.send('queued')
      const full = client.send('overflow')
      await expect(full).rejects.toBeInstanceOf(OfflineError)
      await vi.advanceTimersByTimeAsync(1000)
      await expect(queued).rejects.toBeInstanceOf(TimeoutError)
      client.send('ignored while offline')
      client.send('and this one too')
      await goOnline(client, fake, false)
      await expect(client.send('now', { a: 1 })).resolves.toBeUndefined()
      expect(fake.last.sent.at(-1)).toEqual({ event: 'now', data: { a: 1 } })
      client.close()
      client.send('after close')
      await expect(client.send('after close')).rejects.toBeInstanceOf(OfflineError)
      // Node reports unhandled rejections once the microtask queue drains: give it real time.
      vi.useRealTimers()
      await new Promise((resolve) => setTimeout(resolve, 20))
      vi.useFakeTimers()
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it('rejects a request timeout that is not a positive number, and Infinity waits for the reply', async () => {
    const { fake, client } = setup({ heartbeat: false })
    await goOnline(client, fake)
    await expect(client.request('a', undefined, { timeout: 0 })).rejects.toThrow(new RangeError('timeout must be > 0'))
    await expect(client.request('a', undefined, { timeout: -5 })).rejects.toBeInstanceOf(RangeError)
    const patient = client.request('slow', undefined, { timeout: Infinity })
    await vi.advanceTimersByTimeAsync(3_600_000)
    fake.last.reply('slow', 'done')
    await expect(patient).resolves.toBe('done')
  })
})

describe('guarded protocol calls', () => {
  it('a server ping whose id cannot be encoded costs that frame, not the connection', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const frame = `{"type":"ping","uuid":${'['.repeat(5000)}1${']'.repeat(5000)}}`
    expect(() => fake.last.receive(frame)).not.toThrow()
    const protocol: Protocol = {
      ...jsonProtocol,
      encodePong: () => {
        throw new RangeError('cannot encode this id')
      },
    }
    const other = setup({ protocol })
    await goOnline(other.client, other.fake)
    expect(() => other.fake.last.receive({ type: 'ping', uuid: 1 })).not.toThrow()
    expect(other.client.status).toBe('online')
    const answer = other.client.request('still works')
    other.fake.last.reply('still works', 'yes')
    await expect(answer).resolves.toBe('yes')
    expect(client.status).toBe('online')
  })

  it('an encoder that throws fails its own request only', async () => {
    const protocol: Protocol = {
      ...jsonProtocol,
      encodeRequest: (id, event, data) => {
        if (event === 'bad') throw new Error('cannot encode')
        return jsonProtocol.encodeRequest(id, event, data)
      },
    }
    const { fake, client } = setup({ protocol })
    await goOnline(client, fake)
    await expect(client.request('bad')).rejects.toThrow('cannot encode')
    const good = client.request('good')
    fake.last.reply('good', 1)
    await expect(good).resolves.toBe(1)
  })
})

describe('connect options and binary frames', () => {
  it('passes connectOptions to the runtime on every connect', async () => {
    const connectOptions = { header: { authorization: 'Bearer x' }, protocols: ['v1'], tcpNoDelay: true }
    const { fake, client } = setup({ connectOptions })
    await goOnline(client, fake)
    expect(fake.last.options).toEqual(connectOptions)
  })

  it('writes a typed-array view as exactly its own bytes', async () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9, 9])
    const protocol: Protocol = { ...jsonProtocol, encodeSend: () => backing.subarray(2, 5) }
    const { fake, client } = setup({ protocol, login: undefined })
    await goOnline(client, fake)
    await client.send('binary')
    const written = fake.last.raw.at(-1)
    expect(written).toBeInstanceOf(ArrayBuffer)
    expect([...new Uint8Array(written as ArrayBuffer)]).toEqual([1, 2, 3])
  })
})
