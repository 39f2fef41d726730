import { Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { signToken } from '../../examples/server/src/index'
import { eventually } from '../support/processes'
import { SECRET, referenceHarness } from '../support/reference'

const { start, cleanups } = referenceHarness()

afterEach(() => {
  vi.restoreAllMocks()
})

/** A ws client whose frames can be written to its TCP connection in one go (`burst`). */
async function burstClient(url: string) {
  const socket = new WebSocket(url)
  const texts: string[] = []
  let tcp: Socket | undefined
  socket.once('upgrade', (response) => (tcp = response.socket))
  socket.on('message', (data) => texts.push(String(data)))
  socket.on('error', () => {})
  cleanups.push(() => socket.terminate())
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  return {
    texts,
    onClose: (listener: (code: number) => void) => socket.on('close', listener),
    localPort: () => tcp?.localPort,
    /** Writes every frame in one syscall: the server reads them as one chunk. */
    burst(frames: string[]) {
      tcp?.cork()
      for (const frame of frames) socket.send(frame)
      tcp?.uncork()
    },
  }
}

describe('replies to frames read together', () => {
  it('leave in one write, in the order of their requests, with the handlers sync and async', async () => {
    const { server, url, port } = await start()
    server.handle('echo', (data) => data)
    server.handle('later', async (data) => data)
    const client = await burstClient(url)
    client.burst([JSON.stringify({ event: 'login', data: { u: 'user:b', token: signToken(SECRET, 'user:b') }, uuid: 'login' })])
    await eventually(() => expect(client.texts).toHaveLength(1))

    // Count the server's writes to this client's connection (its socket's local port is the server's).
    let writes = 0
    const countWrites = function (this: Socket) {
      if (this.localPort === port && this.remotePort === client.localPort()) writes++
    }
    const writev = Socket.prototype._writev
    const write = Socket.prototype._write
    vi.spyOn(Socket.prototype, '_writev').mockImplementation(function (this: Socket, ...args: Parameters<NonNullable<Socket['_writev']>>) {
      countWrites.call(this)
      return writev!.apply(this, args)
    })
    vi.spyOn(Socket.prototype, '_write').mockImplementation(function (this: Socket, ...args: Parameters<Socket['_write']>) {
      countWrites.call(this)
      return write.apply(this, args)
    })

    const count = 40
    const frames = Array.from({ length: count }, (_, i) => JSON.stringify({ event: i % 4 ? 'echo' : 'later', data: i, uuid: `b-${i}` }))
    client.burst(frames)
    await eventually(() => expect(client.texts).toHaveLength(1 + count))
    const replies = client.texts.slice(1).map((text) => JSON.parse(text))
    // Each reply once, with its own body; the sync ones in the order of their requests.
    expect(replies.map((reply) => reply.event).sort()).toEqual(frames.map((_, i) => `b-${i}`).sort())
    for (const reply of replies) expect(reply.data).toEqual({ error: 0, body: Number(reply.event.slice(2)) })
    const sync = replies.filter((reply) => Number(reply.event.slice(2)) % 4).map((reply) => reply.event)
    expect(sync).toEqual(frames.map((_, i) => `b-${i}`).filter((_, i) => i % 4))
    // Without batching each of the 40 replies was a write of its own (ws's header and payload in
    // one writev). Batched: the 30 sync replies in one write (one more per read the burst was
    // split into), and each async reply alone, after its promise: 11 here.
    expect(writes).toBeGreaterThanOrEqual(count / 4 + 1)
    expect(writes).toBeLessThan(count / 4 + 6)
  })

  it('still end with the close a bad frame among them brings, after the replies before it', async () => {
    const { server, url } = await start()
    server.handle('echo', (data) => data)
    const client = await burstClient(url)
    let closed: number | undefined
    client.onClose((code) => (closed = code))
    client.burst([JSON.stringify({ event: 'login', data: { u: 'user:c', token: signToken(SECRET, 'user:c') }, uuid: 'login' })])
    await eventually(() => expect(client.texts).toHaveLength(1))
    client.burst([
      JSON.stringify({ event: 'echo', data: 1, uuid: 'c-1' }),
      JSON.stringify({ event: 'echo', data: 2, uuid: 'c-2' }),
      '[1]',
      JSON.stringify({ event: 'echo', data: 3, uuid: 'c-3' }),
    ])
    await eventually(() => expect(closed).toBe(4400))
    const frames = client.texts.map((text) => JSON.parse(text))
    expect(frames.map((frame) => frame.event ?? frame.type)).toEqual(['login', 'c-1', 'c-2', 'close'])
    expect(frames[3]).toEqual({ type: 'close', code: 4400, reason: 'expected a JSON object' })
  })
})
