import type { Socket } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { allowPatterns, signToken } from '../../examples/server/src/index'
import { frameSenderOf, prepareFrame } from '../../examples/server/src/prepared'
import { Session } from '../../examples/server/src/session'
import { eventually } from '../support/processes'
import { SECRET, referenceHarness } from '../support/reference'

const { start, cleanups } = referenceHarness()

/** The frames a server sent, cut from the raw bytes a connection received (server frames are unmasked). */
function framesOf(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = []
  let at = 0
  while (at + 2 <= bytes.length) {
    let length = bytes[at + 1] & 0x7f
    let header = 2
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2)
      header = 4
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2))
      header = 10
    }
    if (at + header + length > bytes.length) break
    frames.push(bytes.subarray(at, at + header + length))
    at += header + length
  }
  return frames
}

/** A ws client that also keeps every byte its TCP connection received, and can stop reading. */
async function wiredClient(url: string) {
  const socket = new WebSocket(url)
  const chunks: Buffer[] = []
  const texts: string[] = []
  let tcp: Socket | undefined
  let closed: number | undefined
  socket.once('upgrade', (response) => {
    tcp = response.socket
    tcp.on('data', (chunk: Buffer) => chunks.push(chunk))
  })
  socket.on('message', (data) => texts.push(String(data)))
  socket.on('close', (code) => (closed = code))
  socket.on('error', () => {})
  cleanups.push(() => socket.terminate())
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  // Request ids unique per user across sockets, as the protocol asks: the server deduplicates by them.
  const prefix = `r${Math.random().toString(36).slice(2, 8)}-`
  let counter = 0
  return {
    socket,
    texts,
    get closed() {
      return closed
    },
    frames: () => framesOf(Buffer.concat(chunks)),
    pause: () => tcp?.pause(),
    resume: () => tcp?.resume(),
    async request(event: string, data: unknown) {
      const uuid = `${prefix}${++counter}`
      socket.send(JSON.stringify({ event, uuid, data }))
      await eventually(() => expect(texts.some((text) => text.includes(`"event":"${uuid}"`))).toBe(true))
      return JSON.parse(texts.find((text) => text.includes(`"event":"${uuid}"`))!).data
    },
  }
}

async function follower(url: string, user: string, channel: string, login: Record<string, unknown> = {}) {
  const client = await wiredClient(url)
  expect((await client.request('login', { u: user, token: signToken(SECRET, user), ...login })).error).toBe(0)
  expect((await client.request('subscribe', { channel })).error).toBe(0)
  return client
}

type WiredClient = Awaited<ReturnType<typeof wiredClient>>

const appFrames = (client: { frames(): Buffer[] }) => client.frames().filter((frame) => frame.includes('"type":"app"'))

describe('a frame prepared once for many sockets', () => {
  it('is, byte for byte, what ws puts on the wire for its text, at every length-field size', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)))
    await new Promise((resolve) => wss.once('listening', resolve))
    const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve))
    const address = wss.address()
    if (!address || typeof address !== 'object') throw new Error('not listening on a port')
    const client = await wiredClient(`ws://127.0.0.1:${address.port}`)
    const server = await accepted
    // Without it (a ws upgrade that renamed its sender) every fan-out would quietly fall back to socket.send.
    expect(frameSenderOf(server)).toBeDefined()
    const session = new Session(server, { loginTimeout: 60_000, maxBuffered: 1 << 30, log: () => {} }, () => {})
    cleanups.push(() => session.close(1001, 'test over'))
    const texts = ['', 'a', 'x'.repeat(125), 'x'.repeat(126), 'é'.repeat(63), 'é'.repeat(64), '😀'.repeat(40), 'x'.repeat(65_535), 'x'.repeat(65_536), 'y'.repeat(70_000)]
    const send = vi.spyOn(server, 'send')
    for (const text of texts) {
      server.send(text)
      expect(session.send(prepareFrame(text))).toBe(true)
    }
    // Only the reference sends went through socket.send: the prepared ones were written as bytes.
    expect(send).toHaveBeenCalledTimes(texts.length)
    await eventually(() => expect(client.texts).toHaveLength(texts.length * 2))
    const frames = client.frames()
    expect(frames).toHaveLength(texts.length * 2)
    texts.forEach((text, i) => {
      expect(frames[2 * i + 1].equals(frames[2 * i])).toBe(true)
      expect(client.texts[2 * i + 1]).toBe(text)
    })
  })
})

describe('fan-out', () => {
  it('sends every follower of a channel the same bytes, and each kind of user client its own frame', async () => {
    const { server, url } = await start({ authorize: allowPatterns(['*']) })
    const followers: WiredClient[] = []
    for (let i = 0; i < 12; i++) followers.push(await follower(url, `user:${i}`, 'fan', i % 2 ? { since: null } : {}))
    expect(await server.push({ event: 'e', msg: { n: 1, text: 'héllo' }, channel: 'fan' })).toBe(12)
    await eventually(() => expect(followers.every((client) => appFrames(client).length === 1)).toBe(true))
    const [first] = appFrames(followers[0])
    for (const client of followers) expect(appFrames(client)[0].equals(first)).toBe(true)
    const published = JSON.parse(followers[0].texts.find((text) => text.includes('"type":"app"'))!)
    expect(published).toEqual({ type: 'app', event: 'e', msg: { n: 1, text: 'héllo' }, channel: 'fan', epoch: expect.any(String), offset: 1 })

    // One user on two devices: the one that tracks positions gets them, the other the frame of before.
    const legacy = await follower(url, 'user:two', 'other')
    const positioned = await follower(url, 'user:two', 'other', { since: null })
    await server.push({ event: 'u', msg: 'hi', to: ['user:two'] })
    await eventually(() => expect(positioned.texts.some((text) => text.includes('"event":"u"'))).toBe(true))
    await eventually(() => expect(legacy.texts.some((text) => text.includes('"event":"u"'))).toBe(true))
    expect(legacy.texts.filter((text) => text.includes('"event":"u"'))).toEqual(['{"type":"app","event":"u","msg":"hi","to":"user:two"}'])
    expect(JSON.parse(positioned.texts.find((text) => text.includes('"event":"u"'))!)).toEqual({ type: 'app', event: 'u', msg: 'hi', to: 'user:two', epoch: expect.any(String), offset: 1 })

    // A push to everyone: each user's own frame, the same for both of its devices.
    await server.push({ event: 'all', to: '*' })
    await eventually(() => expect([legacy, positioned, ...followers].every((client) => client.texts.some((text) => text.includes('"event":"all"')))).toBe(true))
    const everyone = (client: WiredClient) => client.frames().filter((frame) => frame.includes('"event":"all"'))
    expect(everyone(legacy)[0].equals(everyone(positioned)[0])).toBe(true)
    expect(legacy.texts.filter((text) => text.includes('"event":"all"'))).toEqual(['{"type":"app","event":"all","to":"user:two"}'])
    expect(followers[3].texts.filter((text) => text.includes('"event":"all"'))).toEqual(['{"type":"app","event":"all","to":"user:3"}'])
  })

  it('cuts off a follower that stops reading (4503) while the others get every publication', async () => {
    let cut = 0
    const log = (...args: unknown[]) => void (String(args[0]).startsWith('slow consumer cut off') && cut++)
    const { server, url } = await start({ maxBuffered: 64 * 1024, authorize: allowPatterns(['*']), log })
    const fast: WiredClient[] = []
    for (let i = 0; i < 8; i++) fast.push(await follower(url, `user:${i}`, 'feed'))
    const slow = await follower(url, 'user:slow', 'feed')
    slow.pause()
    const chunk = 'x'.repeat(16 * 1024)
    let pushed = 0
    while (cut === 0 && pushed < 3000) {
      await server.push({ event: 'e', msg: { n: ++pushed, chunk }, channel: 'feed' })
      if (pushed % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect(cut).toBe(1)
    // Its close frame waits behind what it has not read: reading now, it gets it within the grace.
    slow.resume()
    await eventually(() => expect(slow.closed).toBe(4503))
    await eventually(() => expect(server.subscribersOf('feed')).toBe(8))
    for (let extra = 0; extra < 5; extra++) await server.push({ event: 'e', msg: { n: ++pushed, chunk }, channel: 'feed' })
    const numbers = Array.from({ length: pushed }, (_, i) => i + 1)
    for (const client of fast) {
      await eventually(() => expect(client.texts.filter((text) => text.includes('"type":"app"'))).toHaveLength(pushed))
      expect(client.texts.filter((text) => text.includes('"type":"app"')).map((text) => JSON.parse(text).msg.n)).toEqual(numbers)
      expect(client.closed).toBeUndefined()
    }
  })
})
