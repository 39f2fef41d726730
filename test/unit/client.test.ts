import { describe, expect, it, vi } from 'vitest'
import { ClosedError, OfflineError, ServerError, TimeoutError } from '../../src/errors'
import type { Protocol } from '../../src/protocol'
import { flush } from '../support/fake-adapter'
import { TOKEN, useFakeClients } from '../support/fake-clients'


const { setup, goOnline } = useFakeClients()

describe('connecting and login', () => {
  it('opens one socket, logs in with the payload, and goes online', async () => {
    const { fake, client, statuses } = setup()
    expect(client.status).toBe('idle')
    client.connectionLoop()
    client.connectionLoop()
    await flush()
    expect(fake.sockets).toHaveLength(1)
    expect(client.status).toBe('connecting')
    fake.last.open()
    expect(client.status).toBe('open')
    expect(fake.last.sent).toEqual([{ event: 'login', data: { u: 'user:6', token: TOKEN, since: null }, uuid: expect.any(String) }])
    fake.last.reply('login', 'ok')
    await flush()
    expect(client.status).toBe('online')
    expect(statuses.map(([status]) => status)).toEqual(['connecting', 'open', 'online'])
    client.connectionLoop()
    await flush()
    expect(fake.sockets).toHaveLength(1)
  })

  it('is online as soon as the socket opens when there is no login', async () => {
    const { fake, client } = setup({ login: undefined })
    client.connectionLoop()
    await flush()
    fake.last.open()
    expect(client.status).toBe('online')
    expect(fake.last.sent).toEqual([])
  })

  it('reads the url function again before every connect', async () => {
    let n = 0
    const { fake, client } = setup({ url: async () => `ws://host/ws?n=${++n}` })
    await goOnline(client, fake)
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.sockets.map((socket) => socket.url)).toEqual(['ws://host/ws?n=1', 'ws://host/ws?n=2'])
  })

  it('stays idle without a socket while login() returns nothing, and connects when asked after login', async () => {
    let user: { u: string; token: string } | null = null
    const { fake, client } = setup({ login: () => user })
    client.connectionLoop()
    await flush()
    expect(client.status).toBe('idle')
    expect(fake.sockets).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(fake.sockets).toHaveLength(0)
    user = { u: 'user:1', token: TOKEN }
    client.connectionLoop()
    await flush()
    expect(fake.sockets).toHaveLength(1)
    fake.last.open()
    expect(fake.last.lastRequest('login').data).toEqual({ ...user, since: null })
  })

  it('rechecks login() by itself after maxDelay', async () => {
    let user: { u: string; token: string } | null = null
    const { fake, client } = setup({ login: () => user, reconnect: { maxDelay: 5000 } })
    client.connectionLoop()
    await flush()
    user = { u: 'user:1', token: TOKEN }
    await vi.advanceTimersByTimeAsync(4999)
    expect(fake.sockets).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(fake.sockets).toHaveLength(1)
  })

  it('closes the socket on a login error, reports it, and retries with growing delays', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0)
    const { fake, client, statuses } = setup({ reconnect: { minDelay: 1000, factor: 2, jitter: 0.5, maxDelay: 30_000 } })
    client.connectionLoop()
    const opened: number[] = []
    for (let attempt = 0; attempt < 4; attempt++) {
      await flush()
      opened.push(Date.now())
      fake.last.open()
      fake.last.reply('login', 'bad token', 1)
      await flush()
      expect(fake.last.closedWith).toEqual({ code: 4001, reason: 'login failed' })
      expect(client.status).toBe('idle')
      await vi.advanceTimersByTimeAsync(1000 * 2 ** attempt - 1)
      expect(fake.sockets).toHaveLength(attempt + 1)
      await vi.advanceTimersByTimeAsync(1)
    }
    const failure = statuses.find(([status, , error]) => status === 'idle' && error)?.[2] as ClosedError
    expect(failure).toBeInstanceOf(ClosedError)
    expect(failure.cause).toBeInstanceOf(ServerError)
    expect((failure.cause as ServerError).code).toBe(1)
    expect((failure.cause as ServerError).body).toBe('bad token')
    random.mockRestore()
  })

  it('resets the retry count only after a connection stayed online for stableAfter', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const { fake, client } = setup({ reconnect: { minDelay: 1000, jitter: 0.5, stableAfter: 5000 } })
    client.connectionLoop()
    await flush()
    fake.last.fail()
    await vi.advanceTimersByTimeAsync(1000)
    fake.last.open()
    fake.last.serverClose(1006)
    // Open but never logged in: the next delay still grows.
    await vi.advanceTimersByTimeAsync(1999)
    expect(fake.sockets).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(fake.sockets).toHaveLength(3)
    // Logged in, then cut at once (a server that closes after login): still growing.
    fake.last.open()
    fake.last.reply('login', 'ok')
    await flush()
    expect(client.status).toBe('online')
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(3999)
    expect(fake.sockets).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(fake.sockets).toHaveLength(4)
    // Online for stableAfter: the next drop starts again from minDelay.
    fake.last.open()
    fake.last.reply('login', 'ok')
    await flush()
    await vi.advanceTimersByTimeAsync(5000)
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.sockets).toHaveLength(5)
    vi.mocked(Math.random).mockRestore()
  })

  it('starts the backoff over after a connection that answered one of the app’s requests, not after a login or ping reply', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const { fake, client } = setup({ reconnect: { minDelay: 1000, jitter: 0.5, stableAfter: 5000 }, heartbeat: { interval: 100, timeout: 1000 } })
    client.connectionLoop()
    const online = async () => {
      fake.last.open()
      fake.last.reply('login', 'ok')
      await flush()
      expect(client.status).toBe('online')
    }
    await flush()
    fake.last.fail()
    await vi.advanceTimersByTimeAsync(1000)
    // Logged in and pinged, answered, cut well before stableAfter: the next delay still grows.
    await online()
    await vi.advanceTimersByTimeAsync(100)
    fake.last.reply('ping', 'pong')
    await flush()
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(1999)
    expect(fake.sockets).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(fake.sockets).toHaveLength(3)
    // It answered a request of the app: the server works, the next drop starts from minDelay again.
    await online()
    const answer = client.request('order', { n: 1 })
    fake.last.reply('order', { ok: 1 })
    await expect(answer).resolves.toEqual({ ok: 1 })
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(999)
    expect(fake.sockets).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(fake.sockets).toHaveLength(4)
    vi.mocked(Math.random).mockRestore()
  })

  it('spreads retries with jitter', async () => {
    const delays: number[] = []
    for (const random of [0, 0.5, 0.999]) {
      vi.spyOn(Math, 'random').mockReturnValue(random)
      const { fake, client } = setup({ reconnect: { minDelay: 1000, jitter: 0.5 } })
      client.connectionLoop()
      await flush()
      const start = Date.now()
      fake.last.fail()
      while (fake.sockets.length < 2) await vi.advanceTimersByTimeAsync(1)
      delays.push(Date.now() - start)
      vi.mocked(Math.random).mockRestore()
    }
    expect(delays).toEqual([1000, 750, 500])
  })

  it('gives up after maxRetries, rejecting ready(), and starts again on connectionLoop()', async () => {
    const { fake, client } = setup({ reconnect: { minDelay: 10, maxDelay: 10, maxRetries: 2 } })
    const ready = client.ready().catch((e) => e)
    client.connectionLoop()
    for (let i = 0; i < 3; i++) {
      await flush()
      fake.last.fail()
      await vi.advanceTimersByTimeAsync(10)
    }
    expect(fake.sockets).toHaveLength(3)
    expect(await ready).toBeInstanceOf(OfflineError)
    expect(vi.getTimerCount()).toBe(0)
    client.connectionLoop()
    await flush()
    expect(fake.sockets).toHaveLength(4)
  })

  it('keeps defaults for option fields given as undefined, instead of retrying in a loop', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const unset: { maxDelay?: number; interval?: number } = {}
    const { fake, client } = setup({ reconnect: { maxDelay: unset.maxDelay, minDelay: undefined }, heartbeat: { interval: unset.interval } })
    client.connectionLoop()
    await flush()
    fake.last.fail()
    await vi.advanceTimersByTimeAsync(999)
    expect(fake.sockets).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(fake.sockets).toHaveLength(2)
    fake.last.open()
    fake.last.reply('login', 'ok')
    await vi.advanceTimersByTimeAsync(29_999)
    expect(fake.last.lastRequest('ping')).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(fake.last.lastRequest('ping')).toBeDefined()
    vi.mocked(Math.random).mockRestore()
  })

  it('does not reconnect when reconnect is false', async () => {
    const { fake, client } = setup({ reconnect: false })
    await goOnline(client, fake)
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fake.sockets).toHaveLength(1)
    expect(client.status).toBe('idle')
  })

  it('without reconnect, a login() that returns nothing stops the client: no socket, no wait for a login', async () => {
    const { fake, client, statuses } = setup({ reconnect: false, login: () => null })
    client.connectionLoop()
    const ready = client.ready().catch((e) => e)
    await flush()
    expect(fake.sockets).toHaveLength(0)
    expect(client.status).toBe('idle')
    expect(statuses.at(-1)?.[2]).toMatchObject({ name: 'ClosedError', code: 1000, reason: 'nobody logged in' })
    expect(await ready).toMatchObject({ name: 'OfflineError', message: 'reconnect gave up' })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('drops a socket that does not open within connectTimeout and ignores it afterwards', async () => {
    const { fake, client } = setup({ connectTimeout: 5000 })
    client.connectionLoop()
    await flush()
    const stale = fake.last
    await vi.advanceTimersByTimeAsync(5000)
    expect(stale.closedWith).toEqual({ code: 4000, reason: 'connect timeout' })
    expect(client.status).toBe('idle')
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.sockets).toHaveLength(2)
    // The abandoned socket opens late: it is closed again and changes nothing.
    stale.closedWith = undefined
    stale.open()
    expect(stale.closedWith).toEqual({ code: 1000, reason: '' })
    stale.receive({ type: 'app', event: 'chat', msg: 'stale' })
    stale.serverClose(1000)
    expect(client.status).toBe('connecting')
  })

  it('closes a socket whose runtime failed it before connectSocket returned, and retries', async () => {
    const { fake, client } = setup({}, { failWhileConnecting: true })
    client.connectionLoop()
    await flush()
    expect(client.status).toBe('idle')
    expect(fake.last.closedWith).toEqual({ code: 1000, reason: '' })
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.sockets).toHaveLength(2)
    expect(fake.sockets[1].closedWith).toEqual({ code: 1000, reason: '' })
  })

  it('retries when the url function or the adapter throws', async () => {
    let calls = 0
    const { fake, client } = setup({
      url: () => {
        if (++calls === 1) throw new Error('no url yet')
        return 'ws://host/ws'
      },
    })
    client.connectionLoop()
    await flush()
    expect(client.status).toBe('idle')
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.sockets).toHaveLength(1)

    const broken = setup({}, { throwOnConnect: true })
    broken.client.connectionLoop()
    await flush()
    expect(broken.client.status).toBe('idle')
    expect(broken.statuses.at(-1)?.[2]).toBeInstanceOf(ClosedError)
  })
})

describe('requests', () => {
  it('resolves with the reply body and rejects error replies with ServerError', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const echo = client.request('echo', { text: 'hi' })
    const sent = fake.last.lastRequest('echo')
    expect(sent).toEqual({ event: 'echo', data: { text: 'hi' }, uuid: expect.any(String) })
    fake.last.reply('echo', { text: 'hi' })
    await expect(echo).resolves.toEqual({ text: 'hi' })

    const refused = client.request('transfer', { amount: 5 })
    fake.last.reply('transfer', 'not allowed', 403)
    const error = await refused.catch((e) => e)
    expect(error).toBeInstanceOf(ServerError)
    expect(error).toMatchObject({ name: 'ServerError', code: 403, body: 'not allowed', event: 'transfer' })
  })

  it('gives every request its own id, never a clock', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const requests = Array.from({ length: 500 }, (_, i) => client.request('n', i))
    const ids = fake.last.sent.slice(1).map((frame) => frame.uuid)
    expect(new Set(ids).size).toBe(500)
    for (const id of ids) expect(id).toMatch(/^[\w-]{12}$/)
    // Answer in reverse order: each promise gets its own answer.
    for (const frame of fake.last.sent.slice(1).reverse()) {
      fake.last.receive({ type: 'respon', event: frame.uuid, data: { error: 0, body: frame.data * 2 } })
    }
    expect(await Promise.all(requests)).toEqual(Array.from({ length: 500 }, (_, i) => i * 2))
  })

  it('times out with TimeoutError and ignores the late reply', async () => {
    const { fake, client } = setup({ requestTimeout: 2000 })
    await goOnline(client, fake)
    const slow = client.request('slow')
    const custom = client.request('slower', undefined, { timeout: 5000 }).catch((e) => e)
    const slowResult = slow.catch((e) => e)
    await vi.advanceTimersByTimeAsync(2000)
    expect(await slowResult).toMatchObject({ name: 'TimeoutError', event: 'slow', timeout: 2000 })
    fake.last.reply('slow', 'late')
    await vi.advanceTimersByTimeAsync(2999)
    expect(vi.getTimerCount()).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(await custom).toMatchObject({ name: 'TimeoutError', timeout: 5000 })
  })

  it('times each request out at its own deadline, whatever the order they were made in', async () => {
    const { fake, client } = setup({ heartbeat: false })
    await goOnline(client, fake)
    const outcomes: string[] = []
    for (const timeout of [1000, 2000, 3000]) client.request(`t${timeout}`, undefined, { timeout }).catch(() => outcomes.push(`t${timeout}`))
    await vi.advanceTimersByTimeAsync(1000)
    expect(outcomes).toEqual(['t1000'])
    await vi.advanceTimersByTimeAsync(1000)
    expect(outcomes).toEqual(['t1000', 't2000'])
    await vi.advanceTimersByTimeAsync(1000)
    expect(outcomes).toEqual(['t1000', 't2000', 't3000'])
  })

  // Guards the reply path: a reply takes its request out of the pool. Kept there, every answered
  // request would wait for its timeout (forever with `timeout: Infinity`) (issue 16).
  it('an answered request leaves nothing behind: no timer waits for its timeout, even an infinite one', async () => {
    const { fake, client } = setup({ heartbeat: false })
    await goOnline(client, fake)
    expect(vi.getTimerCount()).toBe(0)
    const quick = client.request('quick')
    const patient = client.request('patient', undefined, { timeout: Infinity })
    expect(vi.getTimerCount()).toBe(1)
    fake.last.reply('quick', 'q')
    fake.last.reply('patient', 'p')
    await expect(Promise.all([quick, patient])).resolves.toEqual(['q', 'p'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('queues requests made while offline and sends them in order once online', async () => {
    const { fake, client } = setup()
    const first = client.request('a', 1)
    const second = client.request('b', 2)
    client.send('c', 3)
    client.connectionLoop()
    await flush()
    fake.last.open()
    // Only the login goes out before login succeeds.
    expect(fake.last.sent.map((frame) => frame.event)).toEqual(['login'])
    fake.last.reply('login', 'ok')
    await flush()
    expect(fake.last.sent.map((frame) => frame.event)).toEqual(['login', 'a', 'b', 'c'])
    expect(fake.last.sent[3]).toEqual({ event: 'c', data: 3 })
    fake.last.reply('b', 'B')
    fake.last.reply('a', 'A')
    expect(await Promise.all([first, second])).toEqual(['A', 'B'])
  })

  it('never sends a queued request whose caller already timed out', async () => {
    const { fake, client } = setup({ requestTimeout: 1000 })
    const expired = client.request('old').catch((e) => e)
    await vi.advanceTimersByTimeAsync(1000)
    expect(await expired).toBeInstanceOf(TimeoutError)
    const fresh = client.request('new')
    await goOnline(client, fake)
    expect(fake.last.sent.map((frame) => frame.event)).toEqual(['login', 'new'])
    fake.last.reply('new', 1)
    await fresh
  })

  it('rejects with OfflineError when the queue is full or turned off', async () => {
    const { client } = setup({ queue: { max: 2 } })
    const queued = [client.request('a').catch(() => {}), client.request('b').catch(() => {})]
    await expect(client.request('c')).rejects.toMatchObject({ name: 'OfflineError', message: 'queue full' })
    const noQueue = setup({ queue: false })
    await expect(noQueue.client.request('a')).rejects.toMatchObject({ name: 'OfflineError', message: 'offline' })
    client.close()
    await Promise.all(queued)
  })

  // Guards the queue limit: it counts the requests waiting to be written, not those already on the
  // socket, such as the login a request made while logging in waits behind (issue 16).
  it('the queue limit counts only what waits: the login already written takes no place in it', async () => {
    const { fake, client } = setup({ queue: { max: 1 } })
    client.connectionLoop()
    await flush()
    fake.last.open()
    expect(client.status).toBe('open')
    const queued = client.request('a')
    await expect(client.request('b')).rejects.toMatchObject({ name: 'OfflineError', message: 'queue full' })
    fake.last.reply('login', 'ok')
    await flush()
    fake.last.reply('a', 'A')
    await expect(queued).resolves.toBe('A')
  })

  it('rejects written requests with ClosedError when the connection drops, keeps queued ones for the next', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const inFlight = client.request('a').catch((e) => e)
    fake.last.serverClose(1011, 'server error')
    const error = await inFlight
    expect(error).toBeInstanceOf(ClosedError)
    expect(error).toMatchObject({ code: 1011, reason: 'server error' })
    const waiting = client.request('b')
    await vi.advanceTimersByTimeAsync(1000)
    fake.last.open()
    fake.last.reply('login', 'ok')
    await flush()
    fake.last.reply('b', 'B')
    await expect(waiting).resolves.toBe('B')
  })

  it('treats a send that throws as a dead connection', async () => {
    const { fake, client } = setup({ login: undefined }, { throwOnSend: true })
    client.connectionLoop()
    await flush()
    fake.last.open()
    const error = await client.request('a').catch((e: ClosedError) => e)
    expect(error).toBeInstanceOf(ClosedError)
    expect((error as ClosedError).cause).toBeInstanceOf(Error)
    expect(client.status).toBe('idle')
    // 1006 is the runtime's to report: runtimes refuse it from close(), so the socket gets 1000.
    expect(fake.last.closedWith).toEqual({ code: 1000, reason: 'send failed' })
  })

  it('a write that fails while the queue is flushed ends that socket: what queued behind it waits for the next', async () => {
    const { fake, client } = setup({ heartbeat: false }, { throwOnSend: (data) => String(data).includes('"poison"') })
    const poisoned = client.request('poison').catch((e) => e)
    const behind = client.request('b')
    client.connectionLoop()
    await flush()
    fake.last.open()
    fake.last.reply('login', 'ok')
    await flush()
    expect(await poisoned).toMatchObject({ name: 'ClosedError', reason: 'send failed' })
    expect(client.status).toBe('idle')
    expect(fake.last.sent.map((frame) => frame.event)).toEqual(['login'])
    await vi.advanceTimersByTimeAsync(1000)
    await goOnline(client, fake, false)
    expect(fake.last.sent.map((frame) => frame.event)).toEqual(['login', 'b'])
    fake.last.reply('b', 'B')
    await expect(behind).resolves.toBe('B')
  })

  it('rejects data JSON cannot hold instead of throwing', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(client.request('a', cyclic)).rejects.toBeInstanceOf(TypeError)
    fake.last.reply('login', 'again')
    expect(client.status).toBe('online')
  })
})

describe('heartbeat and server pings', () => {
  it('pings on the interval and drops a connection whose ping goes unanswered', async () => {
    const { fake, client } = setup({ heartbeat: { interval: 30_000, timeout: 10_000 } })
    await goOnline(client, fake)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(fake.last.lastRequest('ping')).toEqual({ event: 'ping', uuid: expect.any(String) })
    fake.last.reply('ping', 'pong')
    await vi.advanceTimersByTimeAsync(30_000)
    const pending = client.request('a').catch((e) => e)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fake.last.closedWith).toEqual({ code: 4002, reason: 'ping timeout' })
    expect(await pending).toBeInstanceOf(ClosedError)
    expect(client.status).toBe('idle')
  })

  it('reports a status only when it changes: not for a ping round, nor a reconnect while connecting', async () => {
    const { fake, client, statuses } = setup({ heartbeat: { interval: 1000, timeout: 500 } })
    client.connectionLoop()
    client.reconnect()
    await flush()
    expect(fake.sockets).toHaveLength(1)
    fake.last.open()
    fake.last.reply('login', 'ok')
    await flush()
    await vi.advanceTimersByTimeAsync(1000)
    fake.last.reply('ping', 'pong')
    await flush()
    expect(fake.last.sent.map((frame) => frame.event)).toEqual(['login', 'ping'])
    expect(statuses.map(([status]) => status)).toEqual(['connecting', 'open', 'online'])
  })

  it('reconnects and logs in again when the server answers the ping with an error', async () => {
    const { fake, client } = setup({ heartbeat: { interval: 1000, timeout: 500 } })
    await goOnline(client, fake)
    await vi.advanceTimersByTimeAsync(1000)
    fake.last.reply('ping', 'who are you?', 1)
    await flush()
    expect(fake.last.closedWith).toEqual({ code: 4003, reason: 'login lost' })
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.sockets).toHaveLength(2)
    fake.last.open()
    expect(fake.last.lastRequest('login')).toBeDefined()
  })

  it('sends no heartbeat when turned off', async () => {
    const { fake, client } = setup({ heartbeat: false })
    await goOnline(client, fake)
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(fake.last.lastRequest('ping')).toBeUndefined()
  })

  it('answers a server ping with its id exactly as received', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    fake.last.receive('{"type":"ping","uuid":1718000000.123456}')
    fake.last.receive({ type: 'ping', uuid: 'abc' })
    expect(fake.last.sent.slice(-2)).toEqual([
      { event: 'response', uuid: 1718000000.123456 },
      { event: 'response', uuid: 'abc' },
    ])
  })
})

describe('app lifecycle', () => {
  it('tries at once when the network comes back or the app is shown while offline', async () => {
    const { fake, client } = setup({ reconnect: { minDelay: 60_000, maxDelay: 60_000 } })
    await goOnline(client, fake)
    fake.last.fail()
    fake.wake()
    await flush()
    expect(fake.sockets).toHaveLength(2)
    fake.last.fail()
    fake.wake()
    await flush()
    expect(fake.sockets).toHaveLength(3)
  })

  it('probes an open connection at once when the app comes back to the foreground', async () => {
    const { fake, client } = setup({ heartbeat: { interval: 30_000, timeout: 3000 } })
    await goOnline(client, fake)
    fake.wake()
    expect(fake.last.lastRequest('ping')).toBeDefined()
    await vi.advanceTimersByTimeAsync(3000)
    expect(client.status).toBe('idle')
  })
})

describe('push handlers', () => {
  it('delivers the whole message to every handler of the event', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const a = vi.fn()
    const b = vi.fn()
    client.on('chat1', a)
    client.on('chat1', b)
    const message = { type: 'app', event: 'chat1', msg: 'reload' }
    fake.last.receive(message)
    expect(a).toHaveBeenCalledWith(message)
    expect(b).toHaveBeenCalledWith(message)
  })

  it('keeps going when a handler throws', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const after = vi.fn()
    client.on('chat1', () => {
      throw new Error('page bug')
    })
    client.on('chat1', after)
    client.onStatus(() => {
      throw new Error('listener bug')
    })
    fake.last.receive({ type: 'app', event: 'chat1' })
    expect(after).toHaveBeenCalledTimes(1)
    const reply = client.request('a')
    fake.last.reply('a', 1)
    await expect(reply).resolves.toBe(1)
  })

  it('supports once, off, uninstall and unsubscribe (twice is harmless)', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const once = vi.fn()
    const kept = vi.fn()
    const removed = vi.fn()
    const uninstalled = vi.fn()
    client.once('e', once)
    client.on('e', kept)
    client.on('e', removed)
    client.off('e', removed)
    client.on('chat2', uninstalled)
    client.uninstall('chat2')
    const unsubscribe = client.on('e', kept)
    unsubscribe()
    unsubscribe()
    fake.last.receive({ type: 'app', event: 'e' })
    fake.last.receive({ type: 'app', event: 'e' })
    fake.last.receive({ type: 'app', event: 'chat2' })
    expect(once).toHaveBeenCalledTimes(1)
    expect(kept).toHaveBeenCalledTimes(2)
    expect(removed).not.toHaveBeenCalled()
    expect(uninstalled).not.toHaveBeenCalled()
  })

  it('lets a handler remove itself and others while a push is delivered', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const calls: string[] = []
    const offB = client.on('e', () => {
      calls.push('a')
      offB()
    })
    client.on('e', () => calls.push('b'))
    fake.last.receive({ type: 'app', event: 'e' })
    fake.last.receive({ type: 'app', event: 'e' })
    expect(calls).toEqual(['a', 'b', 'b'])
  })

  it('ignores malformed frames and replies to unknown ids', async () => {
    const { fake, client } = setup()
    await goOnline(client, fake)
    const handler = vi.fn()
    client.on('e', handler)
    const pending = client.request('a')
    for (const frame of ['not json', '', '\ufeff', '[]', 'null', '42', '{"event":"e"}', '{"type":"respon"}', new ArrayBuffer(8)]) {
      fake.last.receive(frame)
    }
    fake.last.receive({ type: 'respon', event: 'unknown-id', data: { error: 0, body: 1 } })
    // Ids that name its number but are not its id: with junk after it, another client's prefix, as a number.
    const { uuid } = fake.last.lastRequest('a')
    for (const event of [`${uuid}x`, `${uuid}.5`, `zzzzzz${uuid.slice(6)}`, parseInt(uuid.slice(6), 36)]) {
      fake.last.receive({ type: 'respon', event, data: { error: 0, body: 'wrong' } })
    }
    fake.last.receive({ type: 'app', event: 42 })
    expect(handler).not.toHaveBeenCalled()
    fake.last.receive('\ufeff{"type":"app","event":"e","msg":1}')
    expect(handler).toHaveBeenCalledTimes(1)
    fake.last.reply('a', 'A')
    await expect(pending).resolves.toBe('A')
  })
})

describe('close()', () => {
  it('leaves no timers, listeners or socket, rejects pending work, and refuses later calls', async () => {
    const { fake, client, statuses } = setup()
    await goOnline(client, fake)
    expect(fake.watching).toBe(1)
    const inFlight = client.request('a').catch((e) => e)
    const handler = vi.fn()
    client.on('e', handler)
    client.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(fake.watching).toBe(0)
    expect(fake.last.closedWith).toEqual({ code: 1000, reason: 'closed by client' })
    expect(await inFlight).toBeInstanceOf(ClosedError)
    expect(client.status).toBe('closed')
    expect(statuses.at(-1)?.[0]).toBe('closed')
    await expect(client.request('b')).rejects.toMatchObject({ name: 'OfflineError', message: 'called after close()' })
    await expect(client.ready()).rejects.toBeInstanceOf(OfflineError)
    await expect(client.send('c')).rejects.toBeInstanceOf(OfflineError)
    expect(() => client.connectionLoop()).toThrow(OfflineError)
    fake.last.receive({ type: 'app', event: 'e' })
    expect(handler).not.toHaveBeenCalled()
    client.close()
  })

  it('rejects queued requests and ready() waiters, and stops a pending retry', async () => {
    const { fake, client } = setup()
    client.connectionLoop()
    await flush()
    fake.last.fail()
    const queued = client.request('a').catch((e) => e)
    const ready = client.ready().catch((e) => e)
    client.close()
    expect(await queued).toBeInstanceOf(ClosedError)
    expect(await ready).toBeInstanceOf(OfflineError)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fake.sockets).toHaveLength(1)
  })

  it('resolves ready() once online', async () => {
    const { fake, client } = setup()
    const ready = client.ready()
    await goOnline(client, fake)
    await expect(ready).resolves.toBeUndefined()
    await expect(client.ready()).resolves.toBeUndefined()
  })
})

describe('debug logging', () => {
  it('logs with a prefix and never prints the login token, even from the url', async () => {
    const lines: unknown[][] = []
    const { fake, client } = setup({ url: `wss://example.test/ws?token=${TOKEN}`, debug: { log: (...args) => lines.push(args) } })
    await goOnline(client, fake)
    fake.last.receive('garbage')
    fake.last.reply('login', 'late')
    fake.last.serverClose(1006)
    client.close()
    expect(lines.length).toBeGreaterThan(3)
    expect(lines.every((line) => line[0] === '[mp-socket]')).toBe(true)
    const text = lines.map((line) => line.map((part) => (part instanceof Error ? part.message : JSON.stringify(part))).join(' ')).join('\n')
    expect(text).toContain('wss://example.test/ws')
    expect(text).not.toContain(TOKEN)
  })

  it('is silent by default', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const { fake, client } = setup()
    await goOnline(client, fake)
    fake.last.receive('garbage')
    expect(log).not.toHaveBeenCalled()
    log.mockRestore()
  })
})

describe('custom protocols', () => {
  // Seed 001's ride-hailing server: events named by `flag`, a one-way login, no replies.
  const flagProtocol: Protocol = {
    decode(frame) {
      const message = typeof frame === 'string' ? JSON.parse(frame) : undefined
      return message && typeof message.flag === 'string' ? { kind: 'push', event: message.flag, message } : undefined
    },
    encodeRequest: (id, event, data) => JSON.stringify({ flag: event, id, ...(data as object) }),
    encodeSend: (event, data) => JSON.stringify({ flag: event, ...(data as object) }),
    encodePong: () => '{}',
    encodeLogin: (payload) => JSON.stringify({ flag: 'login', ...(payload as object) }),
  }

  it('logs in one way and is online once the login is written', async () => {
    const { fake, client } = setup({ protocol: flagProtocol, heartbeat: false, login: () => ({ token: 'driver-token' }) })
    client.connectionLoop()
    await flush()
    fake.last.open()
    await flush()
    expect(client.status).toBe('online')
    expect(fake.last.sent).toEqual([{ flag: 'login', token: 'driver-token' }])
    const onLocation = vi.fn()
    client.on('latlng', onLocation)
    fake.last.receive({ flag: 'latlng', lat: '23.11', lng: '113.11' })
    expect(onLocation).toHaveBeenCalledWith({ flag: 'latlng', lat: '23.11', lng: '113.11' })
    client.send('travel', { target_token: 'abc', msg: 'hi' })
    expect(fake.last.sent[1]).toEqual({ flag: 'travel', target_token: 'abc', msg: 'hi' })
  })

  it('survives a decoder that throws', async () => {
    const { fake, client } = setup({
      protocol: {
        ...flagProtocol,
        decode: () => {
          throw new Error('bad decoder')
        },
      },
      login: undefined,
    })
    client.connectionLoop()
    await flush()
    fake.last.open()
    expect(() => fake.last.receive('x')).not.toThrow()
    expect(client.status).toBe('online')
  })
})
