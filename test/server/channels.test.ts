import { describe, expect, it, vi } from 'vitest'
import { allowPatterns, signToken } from '../../examples/server/src/index'
import { SECRET, referenceHarness } from '../support/reference'
import { eventually } from '../support/processes'
import { Tracker } from '../support/tracker'

const { start, connect, loggedIn, cleanups } = referenceHarness()
const allowAll = () => true

function tracker(user: string, channels: string[] = []) {
  const t = new Tracker(user, SECRET, channels)
  cleanups.push(() => t.drop())
  return t
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i))

describe('old clients', () => {
  it('see exactly the frames of before: no position anywhere', async () => {
    const { server, url } = await start()
    const client = await connect(url)
    const texts: string[] = []
    client.socket.on('message', (data) => texts.push(String(data)))
    expect(await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1') })).toEqual({ error: 0, body: 'logged in' })
    await server.push({ event: 'chat1', msg: { text: 'hi' }, to: 'user:1' })
    await server.push({ event: 'bare', to: 'user:1' })
    await eventually(() => expect(texts).toHaveLength(3))
    expect(texts.slice(1)).toEqual(['{"type":"app","event":"chat1","msg":{"text":"hi"},"to":"user:1"}', '{"type":"app","event":"bare","to":"user:1"}'])
  })
})

describe('positions and recovery (one node, in memory)', () => {
  it('gives a position at login even before any message, so the first drop loses nothing', async () => {
    const { server, url } = await start()
    const client = await connect(url)
    const reply = await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1'), since: null })
    expect(reply).toEqual({ error: 0, body: { epoch: expect.any(String), offset: 0, recovered: false, dedupe: 60_000, dedupeScope: expect.any(String) } })
    await server.push({ event: 'e', msg: 'one', to: 'user:1' })
    expect(await client.waitFor((m) => m.type === 'app')).toEqual({ type: 'app', event: 'e', msg: 'one', to: 'user:1', epoch: reply.body.epoch, offset: 1 })
  })

  it('replays what a dropped client missed, in order and once, to its user and its channels', async () => {
    const { server, url } = await start({ authorize: allowPatterns(['courier:*']) })
    const phone = tracker('user:1', ['courier:7'])
    await phone.connect(url)
    expect(phone.recovered.get('user')).toBe(false) // nothing to recover yet: a first login
    await server.push({ event: 'e', msg: '1', to: 'user:1' })
    await server.push({ event: 'e', msg: '1', channel: 'courier:7' })
    await eventually(() => expect(phone.handled).toEqual(['user:1', 'courier:7:1']))
    phone.drop()
    await eventually(() => expect(server.socketsOf('user:1')).toBe(0))
    for (const n of range(2, 8)) {
      await server.push({ event: 'e', msg: n, to: 'user:1' })
      await server.push({ event: 'e', msg: n, channel: 'courier:7' })
    }
    await phone.connect(url)
    expect(phone.recovered.get('user')).toBe(true)
    expect(phone.recovered.get('courier:7')).toBe(true)
    await server.push({ event: 'e', msg: '9', to: 'user:1' })
    await server.push({ event: 'e', msg: '9', channel: 'courier:7' })
    await eventually(() => expect(phone.of('courier:7')).toEqual(range(1, 9)))
    expect(phone.of('user')).toEqual(range(1, 9))
    expect(phone.duplicates).toBe(0)
  })

  it('says recovered: false for an unknown epoch, an offset older than history, or an offset ahead, and replays nothing', async () => {
    const { server, url } = await start({ history: { size: 3 } })
    for (const n of range(1, 10)) await server.push({ event: 'e', msg: n, to: 'user:1' })
    const login = (since: unknown) => connect(url).then((c) => c.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1'), since }).then((r) => ({ r, c })))
    const { r: first } = await login(null)
    expect(first.body).toMatchObject({ offset: 10, recovered: false })
    const { epoch } = first.body
    for (const since of [{ epoch: 'gone', offset: 9 }, { epoch, offset: 2 }, { epoch, offset: 11 }]) {
      const { r, c } = await login(since)
      expect(r.body).toEqual({ epoch, offset: 10, recovered: false, dedupe: 60_000, dedupeScope: expect.any(String) })
      expect(c.messages.filter((m) => m.type === 'app')).toEqual([])
    }
    // Within the window: 8, 9, 10 are still there.
    const { r, c } = await login({ epoch, offset: 7 })
    expect(r.body).toEqual({ epoch, offset: 10, recovered: true, dedupe: 60_000, dedupeScope: expect.any(String) })
    expect(c.messages.filter((m) => m.type === 'app').map((m) => m.msg)).toEqual(['8', '9', '10'])
    expect(c.messages.findIndex((m) => m.type === 'respon')).toBe(3) // the replay comes before the reply
  })

  it('after history is lost (expired), the reply is the new epoch at 0 and its first publication is delivered', async () => {
    const { server, url } = await start({ authorize: allowAll, history: { ttl: 60 } })
    const phone = tracker('user:1', ['courier:1'])
    await phone.connect(url)
    await server.push({ event: 'e', msg: '1', to: 'user:1' })
    await server.push({ event: 'e', msg: '1', channel: 'courier:1' })
    await eventually(() => expect(phone.of('courier:1')).toEqual(['1']))
    const old = { user: phone.positions.get('user'), channel: phone.positions.get('courier:1') }
    phone.drop()
    // Only Date is faked: the streams' expiry reads it, the sockets keep their real timers.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 })
    try {
      await phone.connect(url)
    } finally {
      vi.useRealTimers()
    }
    for (const [key, before] of [['user', old.user], ['courier:1', old.channel]] as const) {
      expect(phone.recovered.get(key)).toBe(false)
      expect(phone.positions.get(key)).toEqual({ epoch: expect.any(String), offset: 0 })
      expect(phone.positions.get(key)?.epoch).not.toBe(before?.epoch)
    }
    await server.push({ event: 'e', msg: '2', to: 'user:1' })
    await server.push({ event: 'e', msg: '2', channel: 'courier:1' })
    await eventually(() => expect(phone.of('courier:1')).toEqual(['1', '2']))
    expect(phone.of('user')).toEqual(['1', '2'])
    expect(phone.positions.get('courier:1')?.offset).toBe(1)
    expect(phone.duplicates).toBe(0)
  })

  it('refuses bad positions with 400', async () => {
    const { url } = await start({ authorize: allowAll })
    const client = await connect(url)
    for (const since of [5, 'x', { epoch: 1, offset: 1 }, { epoch: 'e', offset: -1 }, { epoch: 'e', offset: 1.5 }]) {
      expect(await client.request('login', { u: 'user:1', token: signToken(SECRET, 'user:1'), since })).toEqual({ error: 400, body: 'since must be null or {epoch, offset}' })
    }
  })
})

describe('channels', () => {
  it('are denied unless authorize allows them', async () => {
    const { url } = await start()
    const anonymous = await connect(url)
    expect(await anonymous.request('subscribe', { channel: 'news' })).toEqual({ error: 401, body: 'login first' })
    const client = await loggedIn(url, 'user:1')
    expect(await client.request('subscribe', { channel: 'news' })).toEqual({ error: 403, body: 'not allowed' })
  })

  it('checks names and authorizes with the user, e.g. only their own channel', async () => {
    const { server, url } = await start({ authorize: allowPatterns(['chat:{user}', 'public:*']), maxSubscriptions: 2 })
    const client = await loggedIn(url, 'user:1')
    expect(await client.request('subscribe', { channel: 'chat:user:2' })).toMatchObject({ error: 403 })
    expect(await client.request('subscribe', { channel: '' })).toMatchObject({ error: 400 })
    expect(await client.request('subscribe', { channel: 'a\nb' })).toMatchObject({ error: 400 })
    expect(await client.request('subscribe', { channel: 'x'.repeat(201) })).toMatchObject({ error: 400 })
    expect(await client.request('subscribe', { channel: 'chat:user:1' })).toMatchObject({ error: 0, body: { channel: 'chat:user:1', offset: 0, recovered: false } })
    expect(await client.request('subscribe', { channel: 'public:a' })).toMatchObject({ error: 0 })
    expect(await client.request('subscribe', { channel: 'public:b' })).toEqual({ error: 400, body: 'at most 2 subscriptions per socket' })
    expect(server.subscribersOf('public:a')).toBe(1)
  })

  it('deliver publications from the server, a handler and POST /push, until unsubscribed', async () => {
    const { server, url, http } = await start({ authorize: allowAll, pushSecret: 'k' })
    server.handle('say', async (data, { push }) => push({ event: 'said', msg: data, channel: 'room' }))
    const listener = await loggedIn(url, 'user:1')
    const speaker = await loggedIn(url, 'user:2')
    const { body } = await listener.request('subscribe', { channel: 'room' })
    expect(await server.push({ event: 'said', msg: 'from the server', channel: 'room' })).toBe(1)
    expect(await speaker.request('say', 'from a handler')).toEqual({ error: 0, body: 1 })
    const response = await fetch(`${http}/push`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify({ event: 'said', msg: 'over http', channel: 'room' }) })
    expect(await response.json()).toEqual({ delivered: 1 })
    await eventually(() => expect(listener.messages.filter((m) => m.type === 'app')).toHaveLength(3))
    expect(listener.messages.filter((m) => m.type === 'app')).toEqual([
      { type: 'app', event: 'said', msg: 'from the server', channel: 'room', epoch: body.epoch, offset: 1 },
      { type: 'app', event: 'said', msg: 'from a handler', channel: 'room', epoch: body.epoch, offset: 2 },
      { type: 'app', event: 'said', msg: 'over http', channel: 'room', epoch: body.epoch, offset: 3 },
    ])
    expect(speaker.messages.filter((m) => m.type === 'app')).toEqual([])
    expect(await listener.request('unsubscribe', { channel: 'room' })).toEqual({ error: 0, body: 'unsubscribed' })
    expect(await server.push({ event: 'said', msg: 'after', channel: 'room' })).toBe(0)
    listener.socket.close()
    await eventually(() => expect(server.connections).toBe(1))
  })
})

describe('a slow consumer', () => {
  it('is cut off with bounded server buffers, then reconnects and still gets every message', async () => {
    let cut = false
    const log = (...args: unknown[]) => (cut ||= String(args[0]).startsWith('slow consumer cut off'))
    const { server, url } = await start({ maxBuffered: 128 * 1024, history: { size: 5000 }, authorize: allowAll, log })
    const phone = tracker('user:slow', ['feed'])
    await phone.connect(url)
    const socket = phone.socket!.socket as unknown as { _socket: { pause(): void } }
    socket._socket.pause()
    const chunk = 'x'.repeat(8 * 1024)
    let n = 0
    while (!cut && n < 3000) {
      n++
      await server.push({ event: 'e', msg: { n, chunk }, channel: 'feed' })
      if (n % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect(cut).toBe(true)
    await eventually(() => expect(server.subscribersOf('feed')).toBe(0))
    for (let extra = 0; extra < 5; extra++) await server.push({ event: 'e', msg: { n: ++n, chunk }, channel: 'feed' })
    phone.drop()
    await phone.connect(url)
    expect(phone.recovered.get('feed')).toBe(true)
    await eventually(() => expect(phone.of('feed')).toHaveLength(n))
    expect(phone.of('feed').map((line) => JSON.parse(line).n)).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    expect(phone.duplicates).toBe(0)
  })
})
