// Exactly once against a deduplicating server (issue 17): what a dead socket carried is written
// again, with the same id, on the next connection; against any other server nothing changes.
import { describe, expect, it, vi } from 'vitest'
import { ClosedError, KickedError, ServerError, TimeoutError } from '../../src/errors'
import type { MpSocket } from '../../src/types'
import type { fakeAdapter } from '../support/fake-adapter'
import { flush } from '../support/fake-adapter'
import { useFakeClients } from '../support/fake-clients'

const { setup } = useFakeClients()
type Fake = ReturnType<typeof fakeAdapter>

/** Opens the next socket and answers its login with `body` (a deduplicating server's by default). */
async function login(client: MpSocket, fake: Fake, body: unknown = { epoch: 'E', offset: 0, recovered: false, dedupe: 60_000 }) {
  client.connectionLoop()
  await flush()
  fake.last.open()
  fake.last.reply('login', body)
  await flush()
  expect(client.status).toBe('online')
}

/** A request written on a socket that then died, and one made while the client is offline. */
async function writtenThenQueued(client: MpSocket, fake: Fake) {
  const written = client.request('a').catch((error) => error)
  fake.last.serverClose(1006)
  await flush()
  const queued = client.request('b').catch((error) => error)
  return { written, queued }
}

const framesOf = (fake: Fake, event: string) => fake.sockets.flatMap((socket) => socket.sent.filter((frame) => frame && frame.event === event))
const dedupeOptions = { reconnect: { minDelay: 10, jitter: 0 }, heartbeat: false as const }

describe('against a deduplicating server', () => {
  it('writes a request again, with the same id, on the next connection, before newer ones; it settles once', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const first = client.request('chat', { text: 'hello' })
    const id = fake.last.lastRequest('chat').uuid
    fake.last.serverClose(1006)
    await flush()
    const later = client.request('chat', { text: 'later' })
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake, { epoch: 'E', offset: 0, recovered: true, dedupe: 60_000 })
    const chats = fake.last.sent.filter((frame) => frame.event === 'chat')
    expect(chats.map((frame) => frame.data.text)).toEqual(['hello', 'later'])
    expect(chats[0].uuid).toBe(id)
    fake.last.receive({ type: 'respon', event: id, data: { error: 0, body: 'stored reply' } })
    fake.last.receive({ type: 'respon', event: id, data: { error: 0, body: 'a second copy' } })
    await expect(first).resolves.toBe('stored reply')
    fake.last.reply('chat', 'ok')
    await expect(later).resolves.toBe('ok')
  })

  it('keeps a written request across several drops, until its own timeout', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const pending = client.request('slow', undefined, { timeout: 5000 }).catch((error) => error)
    for (let i = 0; i < 3; i++) {
      fake.last.serverClose(1006)
      await vi.advanceTimersByTimeAsync(1000)
      await login(client, fake)
    }
    expect(framesOf(fake, 'slow')).toHaveLength(4)
    expect(new Set(framesOf(fake, 'slow').map((frame) => frame.uuid)).size).toBe(1)
    await vi.advanceTimersByTimeAsync(5000)
    expect(await pending).toBeInstanceOf(TimeoutError)
  })

  it('`retry: false` fails it with ClosedError as before', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const once = client.request('pay', { amount: 1 }, { retry: false }).catch((error) => error)
    const sendOnce = client.send('note', 'x', { retry: false }).catch((error) => error)
    fake.last.serverClose(1006)
    expect(await once).toBeInstanceOf(ClosedError)
    expect(await sendOnce).toBeInstanceOf(ClosedError)
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake)
    expect(framesOf(fake, 'pay')).toHaveLength(1)
    expect(framesOf(fake, 'note')).toHaveLength(1)
  })

  it('acknowledges send(): written as a request, resolved by the reply (an error reply too), resent after a drop', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const sent = client.send('typing', { chat: 1 })
    let settled = false
    sent.then(() => (settled = true))
    await flush()
    expect(settled).toBe(false)
    const frame = fake.last.lastRequest('typing')
    expect(frame.uuid).toEqual(expect.any(String))
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake)
    expect(fake.last.lastRequest('typing').uuid).toBe(frame.uuid)
    fake.last.reply('typing', 'unknown event', 404)
    await expect(sent).resolves.toBeUndefined()
  })

  it('resends only within the server’s window from the first write', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake, { epoch: 'E', offset: 0, recovered: false, dedupe: 1000 })
    const old = client.request('a', undefined, { timeout: 60_000 }).catch((error) => error)
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(1500)
    await login(client, fake, { epoch: 'E', offset: 0, recovered: true, dedupe: 1000 })
    expect(await old).toBeInstanceOf(ClosedError)
    expect(framesOf(fake, 'a')).toHaveLength(1)
  })

  it('counts the window from the first write, not from the last resend, and it ends at exactly `dedupe` ms', async () => {
    const { fake, client } = setup(dedupeOptions)
    const window = { epoch: 'E', offset: 0, recovered: true, dedupe: 1500 }
    await login(client, fake, window)
    const old = client.request('a', undefined, { timeout: 60_000 }).catch((error) => error)
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(1000)
    await login(client, fake, window)
    expect(framesOf(fake, 'a')).toHaveLength(2)
    fake.last.serverClose(1006)
    // 1500 ms after the first write, 500 after the resend: the server may have forgotten it.
    await vi.advanceTimersByTimeAsync(500)
    await login(client, fake, window)
    expect(await old).toBeInstanceOf(ClosedError)
    expect(framesOf(fake, 'a')).toHaveLength(2)
  })

  it('never writes again a login or a ping its socket carried: they belong to that connection', async () => {
    const { fake, client } = setup({ ...dedupeOptions, heartbeat: { interval: 1000, timeout: 500 } })
    await login(client, fake)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.last.lastRequest('ping')).toBeDefined()
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake)
    expect(fake.last.sent.map((frame) => frame.event)).toEqual(['login'])
  })

  it('a queued one-way message whose data cannot be encoded fails alone when the queue is written', async () => {
    const { fake, client } = setup(dedupeOptions)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const bad = client.send('bad', cyclic).catch((error) => error)
    const good = client.send('good', 1)
    await login(client, fake, { epoch: 'E', offset: 0, recovered: false })
    expect(await bad).toBeInstanceOf(TypeError)
    await expect(good).resolves.toBeUndefined()
    expect(fake.last.sent.map((frame) => frame.event)).toEqual(['login', 'good'])
  })

  it('fails what it kept when the next server does not deduplicate', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const kept = client.request('a').catch((error) => error)
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake, { epoch: 'E', offset: 0, recovered: true })
    const error = await kept
    expect(error).toBeInstanceOf(ClosedError)
    expect((error as ClosedError).code).toBe(1006)
    expect(framesOf(fake, 'a')).toHaveLength(1)
  })

  it('on a final stop, a written request fails with its ClosedError (it may have run), a queued one with the stop', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const { written, queued } = await writtenThenQueued(client, fake)
    await vi.advanceTimersByTimeAsync(10)
    await flush()
    fake.last.open()
    fake.last.receive({ type: 'close', code: 4409, reason: 'elsewhere' })
    expect(await written).toBeInstanceOf(ClosedError)
    expect(await queued).toBeInstanceOf(KickedError)
  })

  it('reconnect(): what the dropped socket carried is written again on the new connection', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const pending = client.request('a')
    client.reconnect()
    await flush()
    fake.last.open()
    fake.last.reply('login', { epoch: 'E', offset: 0, recovered: true, dedupe: 60_000 })
    await flush()
    const frames = framesOf(fake, 'a')
    expect(frames).toHaveLength(2)
    expect(frames[1].uuid).toBe(frames[0].uuid)
    fake.last.reply('a', 'ran once')
    await expect(pending).resolves.toBe('ran once')
  })

  it('counts what waits to be written again against queue.max', async () => {
    const { fake, client } = setup({ ...dedupeOptions, queue: { max: 2 } })
    await login(client, fake)
    const kept = [client.request('a'), client.request('b')]
    fake.last.serverClose(1006)
    await flush()
    await expect(client.request('c')).rejects.toThrow('queue full')
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake)
    fake.last.reply('a', 1)
    fake.last.reply('b', 2)
    expect(await Promise.all(kept)).toEqual([1, 2])
  })

  it('close(): a request waiting to be written again fails with its socket’s ClosedError, a queued one with 1000', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const { written, queued } = await writtenThenQueued(client, fake)
    client.close()
    expect(await written).toBeInstanceOf(ClosedError)
    expect(await written).toMatchObject({ code: 1006 })
    expect(await queued).toBeInstanceOf(ClosedError)
    expect(await queued).toMatchObject({ code: 1000 })
  })

  it('a server error reply is the run’s answer: never resent', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const refused = client.request('a')
    fake.last.reply('a', 'no', 403)
    await expect(refused).rejects.toBeInstanceOf(ServerError)
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake)
    expect(framesOf(fake, 'a')).toHaveLength(1)
  })
})

describe('scopes and frames that kill the socket', () => {
  const scoped = (scope: string) => ({ epoch: 'E', offset: 0, recovered: true, dedupe: 60_000, dedupeScope: scope })

  it('resends only to a server of the same scope: a restarted in-memory server forgot what ran', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake, scoped('process-1'))
    const before = client.request('a').catch((error) => error)
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake, scoped('process-2'))
    expect(await before).toBeInstanceOf(ClosedError)
    expect(framesOf(fake, 'a')).toHaveLength(1)
    // The same scope (another node on the same Redis) gets it again.
    const kept = client.request('b')
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake, scoped('process-2'))
    expect(framesOf(fake, 'b')).toHaveLength(2)
    fake.last.reply('b', 'B')
    await expect(kept).resolves.toBe('B')
  })

  it('never resends what was on a socket closed for a frame too big (1009)', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake)
    const big = client.request('upload', 'x'.repeat(1000)).catch((error) => error)
    fake.last.serverClose(1009, 'message too big')
    const error = await big
    expect(error).toBeInstanceOf(ClosedError)
    expect((error as ClosedError).code).toBe(1009)
  })
})

describe('against a server that does not deduplicate (no `dedupe` in its login reply)', () => {
  it('writes exactly the frames it always did, and fails what a dead socket carried', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake, 'logged in')
    const pending = client.request('a', 1).catch((error) => error)
    await client.send('b', 2)
    const frames = fake.last.raw.slice(1)
    expect(frames[0]).toMatch(/^\{"event":"a","data":1,"uuid":"[^"]+"\}$/)
    expect(frames[1]).toBe('{"event":"b","data":2}')
    fake.last.serverClose(1006)
    expect(await pending).toBeInstanceOf(ClosedError)
    await vi.advanceTimersByTimeAsync(10)
    await login(client, fake, 'logged in')
    expect(framesOf(fake, 'a')).toHaveLength(1)
    expect(framesOf(fake, 'b')).toHaveLength(1)
  })
})

describe('what goes back as since', () => {
  it('is the position only, never the rest of the reply that carried it', async () => {
    const { fake, client } = setup(dedupeOptions)
    await login(client, fake, { epoch: 'E', offset: 4, recovered: false, dedupe: 60_000, dedupeScope: 's', user: 'user:6' })
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(10)
    await flush()
    fake.last.open()
    expect(fake.last.lastRequest('login').data.since).toEqual({ epoch: 'E', offset: 4 })
  })
})
