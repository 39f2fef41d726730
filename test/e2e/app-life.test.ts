// The mini-program's own life against the reference server (issue 20): WeChat's 5 s suspend in the
// background, and a relaunch that recovers, from the runtime's storage, what was pushed while the
// app was gone.
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { signToken } from '../../examples/server/src/token'
import { miniProgram } from '../../src/adapters/miniprogram'
import { createSocket } from '../../src/create'
import type { SocketOptions } from '../../src/options'
import { createTestRuntime, type TestRuntime } from '../../src/testing'
import type { Recovery } from '../../src/types'
import { SECRET, eventually, startServerProcessUntil } from '../support/processes'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function app(runtime: TestRuntime, url: string, user: string, options: Partial<SocketOptions> = {}) {
  const socket = createSocket({
    url,
    runtime: miniProgram(runtime.api),
    login: () => ({ u: user, token: signToken(SECRET, user) }),
    reconnect: { minDelay: 100, maxDelay: 500 },
    heartbeat: { interval: 60_000, timeout: 2000 },
    ...options,
  })
  cleanups.push(() => socket.close())
  const received: unknown[] = []
  const recoveries: Recovery[] = []
  socket.on('note', (message) => received.push(message.msg))
  socket.onLoggedIn((recovery) => recoveries.push(recovery))
  return { socket, received, recoveries }
}

describe('a mini-program in the background and relaunched', () => {
  it('suspended 5 s after hide: no attempt while suspended; shown, back at once with what it missed', async () => {
    const srv = await startServerProcessUntil(cleanups)
    const runtime = createTestRuntime({ WebSocket })
    const { socket, received, recoveries } = app(runtime, srv.url, 'user:31')
    socket.connectionLoop()
    await socket.ready()
    await srv.push({ event: 'note', msg: 'before', to: 'user:31' })
    await eventually(() => expect(received).toEqual(['before']))
    runtime.hide()
    // WeChat closes the socket when it suspends the network.
    await eventually(() => expect(runtime.suspended).toBe(true), 8000)
    await eventually(() => expect(socket.status).toBe('idle'))
    const tasks = runtime.tasks.length
    await srv.push({ event: 'note', msg: 'while hidden', to: 'user:31' })
    // Two seconds of backoff at 100-500 ms would be several attempts: none is made.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    expect(runtime.tasks.length).toBe(tasks)
    const shownAt = Date.now()
    runtime.show()
    await socket.ready()
    expect(Date.now() - shownAt).toBeLessThan(3000)
    await eventually(() => expect(received).toEqual(['before', 'while hidden']))
    expect(recoveries.at(-1)).toEqual({ recovered: true })
  })

  it('killed and relaunched on the same phone: recovers what was pushed meanwhile, once, in order; another user gets none of it', async () => {
    const srv = await startServerProcessUntil(cleanups)
    const runtime = createTestRuntime({ WebSocket })
    const first = app(runtime, srv.url, 'user:32', { persist: true })
    first.socket.connectionLoop()
    await first.socket.ready()
    for (const msg of ['n1', 'n2']) await srv.push({ event: 'note', msg, to: 'user:32' })
    await eventually(() => expect(first.received).toEqual(['n1', 'n2']))
    // To the background (the positions are written), suspended, then destroyed by WeChat.
    runtime.hide({ suspendAfter: 100 })
    await eventually(() => expect(runtime.suspended).toBe(true))
    first.socket.close()
    for (const msg of ['n3', 'n4', 'n5']) await srv.push({ event: 'note', msg, to: 'user:32' })
    // Relaunched: a new client, the same storage.
    runtime.show()
    const second = app(runtime, srv.url, 'user:32', { persist: true })
    second.socket.connectionLoop()
    await second.socket.ready()
    await eventually(() => expect(second.received).toEqual(['n3', 'n4', 'n5']))
    expect(second.recoveries).toEqual([{ recovered: true }])
    await srv.push({ event: 'note', msg: 'n6', to: 'user:32' })
    await eventually(() => expect(second.received).toEqual(['n3', 'n4', 'n5', 'n6']))
    // Someone else logs in on this phone: nothing of user:32's is presented for them.
    const other = app(runtime, srv.url, 'user:33', { persist: true })
    other.socket.connectionLoop()
    await other.socket.ready()
    expect(other.recoveries).toEqual([{ recovered: false }])
  })
})
