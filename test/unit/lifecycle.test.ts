// The mini-program's own life (issue 20): suspended in the background, relaunched with its positions.
import { describe, expect, it, vi } from 'vitest'
import type { PositionStorage } from '../../src/adapters/types'
import { MpSocketError } from '../../src/errors'
import { createClient } from '../../src/client'
import type { MpSocket, Recovery } from '../../src/types'
import { fakeAdapter, flush, type FakeSocket } from '../support/fake-adapter'
import { useFakeClients } from '../support/fake-clients'

const { setup } = useFakeClients()
type Fake = ReturnType<typeof fakeAdapter>

async function login(client: MpSocket, fake: Fake, body: unknown = { epoch: 'E', offset: 0, recovered: false }) {
  client.connectionLoop()
  await flush()
  fake.last.open()
  fake.last.reply('login', body)
  await flush()
}
const push = (socket: FakeSocket, offset: number, channel?: string) =>
  socket.receive({ type: 'app', event: 'n', msg: offset, epoch: 'E', offset, ...(channel ? { channel } : {}) })

describe('in the background', () => {
  it('attempts nothing and counts nothing once hidden past 5 s; shown, connects at once', async () => {
    const { fake, client } = setup({ reconnect: { minDelay: 1000, maxDelay: 1000, jitter: 0, maxRetries: 2 }, heartbeat: false })
    await login(client, fake)
    const queued: Promise<unknown>[] = []
    fake.hide()
    await vi.advanceTimersByTimeAsync(5000)
    fake.last.serverClose(1000, 'interrupted')
    // (A real runtime stops timers in the background; these run, so the requests wait long.)
    for (let i = 0; i < 3; i++) queued.push(client.request('later', i, { timeout: 600_000 }))
    // A minute in the background: no socket tried, however many retries the options allow.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fake.sockets).toHaveLength(1)
    expect(client.status).toBe('idle')
    fake.show()
    await flush()
    expect(fake.sockets).toHaveLength(2)
    fake.last.open()
    fake.last.reply('login', { epoch: 'E', offset: 0, recovered: true })
    await flush()
    expect(fake.last.sent.filter((frame) => frame.event === 'later').map((frame) => frame.data)).toEqual([0, 1, 2])
    for (const frame of fake.last.sent.filter((frame) => frame.event === 'later')) fake.last.receive({ type: 'respon', event: frame.uuid, data: { error: 0, body: 'ok' } })
    await expect(Promise.all(queued)).resolves.toEqual(['ok', 'ok', 'ok'])
    // Nothing was counted in the background: maxRetries 2 still has both retries.
    fake.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fake.sockets).toHaveLength(3)
  })

  it('keeps trying within the grace period, and with background: true', async () => {
    for (const background of [false, true]) {
      const { fake, client } = setup({ reconnect: { minDelay: 1000, maxDelay: 1000, jitter: 0 }, heartbeat: false, background })
      await login(client, fake)
      fake.hide()
      fake.last.serverClose(1006)
      await vi.advanceTimersByTimeAsync(1000)
      expect(fake.sockets).toHaveLength(2)
      await vi.advanceTimersByTimeAsync(10_000)
      fake.last.serverClose(1006)
      await vi.advanceTimersByTimeAsync(1000)
      expect(fake.sockets.length > 2).toBe(background)
      client.close()
    }
  })

  it('a kick while hidden is still final', async () => {
    const { fake, client } = setup({ heartbeat: false })
    await login(client, fake)
    fake.hide()
    await vi.advanceTimersByTimeAsync(5000)
    fake.last.receive({ type: 'close', code: 4409, reason: 'elsewhere' })
    await expect(client.ready()).rejects.toThrow('elsewhere')
    fake.show()
    await flush()
    expect(fake.sockets).toHaveLength(1)
  })
})

/** A storage users could pass: a Map, with a log of what it was asked. */
function memoryStorage(initial: Record<string, unknown> = {}) {
  const values = new Map<string, unknown>(Object.entries(initial))
  const writes: string[] = []
  const storage: PositionStorage = {
    get: (key) => values.get(key),
    set: (key, value) => {
      writes.push(key)
      values.set(key, value)
    },
  }
  return { storage, values, writes }
}

describe('persist: positions that survive a relaunch', () => {
  it('a relaunched app presents what the killed one handled, for its user only', async () => {
    const { storage, values } = memoryStorage()
    const first = setup({ persist: storage, heartbeat: false })
    const channel = first.client.subscribe('fleet')
    await login(first.client, first.fake)
    first.fake.last.reply('subscribe', { epoch: 'C', offset: 0, recovered: false })
    push(first.fake.last, 1)
    push(first.fake.last, 2)
    first.fake.last.receive({ type: 'app', event: 'm', epoch: 'C', offset: 5, channel: 'fleet' })
    await vi.advanceTimersByTimeAsync(1000)
    expect(JSON.parse(String(values.get('mp-socket:positions:user:6')))).toEqual({ '': ['E', 2], fleet: ['C', 5] })
    channel.unsubscribe()
    // Killed: no close(), no flush. The relaunch has the same storage.
    const second = setup({ persist: storage, heartbeat: false })
    const recoveries: Recovery[] = []
    second.client.onLoggedIn((recovery) => recoveries.push(recovery))
    second.client.subscribe('fleet')
    second.client.connectionLoop()
    await flush()
    second.fake.last.open()
    expect(second.fake.last.lastRequest('login').data.since).toEqual({ epoch: 'E', offset: 2 })
    second.fake.last.reply('login', { epoch: 'E', offset: 3, recovered: true })
    await flush()
    expect(second.fake.last.lastRequest('subscribe').data.since).toEqual({ epoch: 'C', offset: 5 })
    expect(recoveries).toEqual([{ recovered: true }])
    // Another user on the same phone: none of user:6's positions.
    const other = setup({ persist: storage, heartbeat: false, login: () => ({ u: 'user:7', token: 't' }) })
    other.client.connectionLoop()
    await flush()
    other.fake.last.open()
    expect(other.fake.last.lastRequest('login').data.since).toBeNull()
  })

  it('forgets the positions of a user who logged out when another logs in, without storage too', async () => {
    let user = 'user:6'
    const { fake, client } = setup({ heartbeat: false, reconnect: { minDelay: 10 }, login: () => ({ u: user, token: 't' }) })
    await login(client, fake)
    push(fake.last, 4)
    user = 'user:7'
    client.reconnect()
    await flush()
    fake.last.open()
    expect(fake.last.lastRequest('login').data.since).toBeNull()
  })

  it('writes at once when the app is hidden, and on close(), leaving no timer', async () => {
    const { storage, writes } = memoryStorage()
    const { fake, client } = setup({ persist: storage, heartbeat: false })
    await login(client, fake)
    push(fake.last, 1)
    fake.hide()
    expect(writes).toHaveLength(1)
    push(fake.last, 2)
    client.close()
    expect(writes).toHaveLength(2)
  })

  it('bad storage never breaks the client: unreadable values are ignored, failed writes logged', async () => {
    const lines: unknown[][] = []
    for (const stored of ['not json', '{"":"nope"}', '[1,2]', 42, undefined, '']) {
      const { storage } = memoryStorage({ 'mp-socket:positions:user:6': stored })
      const { fake, client } = setup({ persist: storage, heartbeat: false })
      client.connectionLoop()
      await flush()
      fake.last.open()
      expect(fake.last.lastRequest('login').data.since).toBeNull()
      client.close()
    }
    const throwing: PositionStorage = {
      get() {
        throw new Error('storage unavailable')
      },
      set() {
        throw new Error('setStorageSync:fail exceed storage max size 10MB')
      },
    }
    const { fake, client } = setup({ persist: throwing, heartbeat: false, debug: { log: (...args) => lines.push(args) } })
    await login(client, fake)
    push(fake.last, 1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(client.status).toBe('online')
    expect(lines.some((line) => line[1] === 'persist')).toBe(true)
  })

  it('persist: true on a runtime without storage is a clear error at creation', () => {
    const fake = fakeAdapter()
    expect(() => createClient({ url: 'wss://x', persist: true }, fake.adapter)).toThrow(MpSocketError)
    expect(() => createClient({ url: 'wss://x', persist: true }, fake.adapter)).toThrow(/persist: \{ get, set \}/)
  })
})
