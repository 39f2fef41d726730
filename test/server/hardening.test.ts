import { connect as tcpConnect } from 'node:net'
import { request as httpRequest } from 'node:http'
import { describe, expect, it } from 'vitest'
import { CloseCode } from '../../examples/server/src/index'
import { referenceHarness } from '../support/reference'
import { eventually } from '../support/processes'

const { start, loggedIn, cleanups } = referenceHarness()

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)

describe('frames and handler results that cannot crash the server', () => {
  it('answers 400 to a frame nested 5,000 deep and keeps the socket (the echo of it used to throw outside any guard)', async () => {
    const { server, url } = await start()
    server.handle('echo', (data) => data)
    const client = await loggedIn(url, 'user:1')
    client.send(`{"event":"echo","uuid":"deep","data":${nested(5000)}}`)
    expect(await client.waitFor((m) => m.event === 'deep')).toEqual({ type: 'respon', event: 'deep', data: { error: 400, body: 'nested deeper than 32 levels' } })
    // Brackets inside strings are text, not nesting.
    expect(await client.request('echo', '['.repeat(1000))).toEqual({ error: 0, body: '['.repeat(1000) })
    expect(await client.request('echo', JSON.parse(nested(30)))).toMatchObject({ error: 0 })
    expect(client.closed).toBeUndefined()
  })

  it('answers 500 when a handler result cannot be serialized, and logs it', async () => {
    const logged: string[] = []
    const { server, url } = await start({ log: (...args) => logged.push(args.join(' ')) })
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    server.handle('bigint', () => 10n)
    server.handle('cycle', async () => cycle)
    server.handle('deep', () => JSON.parse(nested(20_000)))
    server.handle('tojson', () => ({ toJSON: () => { throw new Error('nope') } }))
    const client = await loggedIn(url, 'user:1')
    for (const event of ['bigint', 'cycle', 'deep', 'tojson']) {
      expect(await client.request(event)).toEqual({ error: 500, body: 'reply could not be serialized' })
    }
    expect(logged.filter((line) => line.includes('cannot be serialized'))).toHaveLength(4)
    expect(await client.request('ping')).toEqual({ error: 0, body: 'pong' })
  })

  it('rejects a push whose msg cannot be serialized with SerializationError, sending nothing', async () => {
    const { server, url } = await start()
    const client = await loggedIn(url, 'user:1')
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    await expect(server.push({ event: 'e', msg: cycle, to: 'user:1' })).rejects.toMatchObject({ name: 'SerializationError' })
    await expect(server.push({ event: 'e', msg: 1n, to: 'user:1' })).rejects.toMatchObject({ name: 'SerializationError' })
    expect(await server.push({ event: 'e', msg: 'fine', to: 'user:1' })).toBe(1)
    expect((await client.waitFor((m) => m.type === 'app')).msg).toBe('fine')
    expect(client.messages.filter((m) => m.type === 'app')).toHaveLength(1)
  })
})

describe('HTTP', () => {
  const secret = 'push-key'
  const post = (http: string, body: string, key = secret) =>
    fetch(`${http}/push`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body })

  it('compares the bearer token exactly (prefix, longer, empty all refused)', async () => {
    const { http } = await start({ pushSecret: secret })
    const body = JSON.stringify({ event: 'e', msg: 1, to: 'user:1' })
    for (const key of ['push-ke', 'push-keyx', '', 'PUSH-KEY']) expect((await post(http, body, key)).status).toBe(401)
    expect((await post(http, body)).status).toBe(200)
  })

  it('a body nested too deep gets 400', async () => {
    const { http } = await start({ pushSecret: secret })
    const response = await post(http, `{"event":"e","to":"user:1","msg":${nested(5000)}}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: 'nested deeper than 32 levels' })
  })

  it('a 413 for a body several times too large reaches the client', async () => {
    const { http } = await start({ pushSecret: secret, maxPayload: 64 * 1024 })
    const huge = JSON.stringify({ event: 'e', to: 'user:1', msg: 'x'.repeat(600_000) })
    for (let i = 0; i < 3; i++) {
      const response = await post(http, huge)
      expect(response.status).toBe(413)
      expect(await response.json()).toEqual({ error: 'body larger than 65536 bytes' })
    }
  })

  it('closes idle TCP connections and partial requests within httpTimeout', async () => {
    const { port } = await start({ httpTimeout: 300 })
    const sockets = Array.from({ length: 20 }, () => tcpConnect(port, '127.0.0.1'))
    const partial = tcpConnect(port, '127.0.0.1')
    partial.write('POST /push HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"event"')
    const slowHeaders = tcpConnect(port, '127.0.0.1')
    slowHeaders.write('GET /health HTTP/1.1\r\n')
    const all = [...sockets, partial, slowHeaders]
    const closed = new Set<number>()
    all.forEach((socket, i) => {
      socket.on('error', () => {})
      socket.on('close', () => closed.add(i))
      socket.resume() // reads (and drops) what the server answers, as any client does
      cleanups.push(() => socket.destroy())
    })
    await eventually(() => expect(all.map((_, i) => i).filter((i) => !closed.has(i))).toEqual([]), 15_000)
  })

  it('keeps upgraded WebSocket connections open past httpTimeout', async () => {
    const { url } = await start({ httpTimeout: 200 })
    const client = await loggedIn(url, 'user:1')
    await new Promise((resolve) => setTimeout(resolve, 700))
    expect(await client.request('ping')).toEqual({ error: 0, body: 'pong' })
  })

  it('still answers health checks on a keep-alive connection', async () => {
    const { port } = await start({ httpTimeout: 2000 })
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/health' }, (res) => {
        let text = ''
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve(text))
      })
      req.on('error', reject)
      req.end()
    })
    expect(JSON.parse(body)).toMatchObject({ ok: true })
  })
})

describe('back-pressure', () => {
  it('cuts off a socket that stops reading once maxBuffered bytes wait, and keeps serving the others', async () => {
    const logged: string[] = []
    const { server, url } = await start({ maxBuffered: 256 * 1024, log: (...args) => logged.push(args.join(' ')) })
    const slow = await loggedIn(url, 'user:slow')
    const fast = await loggedIn(url, 'user:fast')
    // The phone stops reading: what the server sends piles up in its buffers.
    ;(slow.socket as unknown as { _socket: { pause(): void } })._socket.pause()
    const chunk = 'x'.repeat(32 * 1024)
    let pushed = 0
    // Enough to fill the kernel's buffers and then maxBuffered: bounded, never 57 MB.
    while (server.socketsOf('user:slow') > 0 && pushed < 2000) {
      await server.push({ event: 'bulk', msg: chunk, to: ['user:slow', 'user:fast'] })
      pushed++
      if (pushed % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await eventually(() => expect(server.socketsOf('user:slow')).toBe(0))
    expect(logged.some((line) => line.startsWith('slow consumer cut off'))).toBe(true)
    await eventually(() => expect(fast.messages.filter((m) => m.event === 'bulk')).toHaveLength(pushed))
    expect(fast.closed).toBeUndefined()
    expect(CloseCode.slowConsumer).toBe(4503)
  })

  it('closes a slow consumer with 4503, the code its client sees, so that the client reconnects and recovers', async () => {
    let cut = false
    const { server, url } = await start({ maxBuffered: 16 * 1024, log: (...args) => (cut ||= String(args[0]).startsWith('slow consumer cut off')) })
    const phone = await loggedIn(url, 'user:slow')
    const chunk = 'x'.repeat(64 * 1024)
    // No macrotask runs between these pushes, so the phone (in this process) reads nothing
    // meanwhile: the kernel's buffers fill, then maxBuffered. Then it reads everything, the close
    // frame last, well within the grace the server gives it.
    let pushed = 0
    while (!cut && pushed < 500) {
      await server.push({ event: 'bulk', msg: chunk, to: 'user:slow' })
      pushed++
    }
    expect(cut).toBe(true)
    expect(await phone.waitClose()).toEqual({ code: 4503, reason: 'slow consumer' })
  })
})
