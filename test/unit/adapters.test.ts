import { afterEach, describe, expect, it, vi } from 'vitest'
import { alipay, fromBase64, toBase64 } from '../../src/adapters/alipay'
import { resolveRuntime } from '../../src/adapters/auto'
import { taro } from '../../src/adapters/taro'
import { taskConnection, type SocketTaskLike } from '../../src/adapters/task'
import type { ConnectionHandlers } from '../../src/adapters/types'
import { uniAdapter } from '../../src/adapters/uni'
import { web, type WebSocketLike } from '../../src/adapters/web'
import { flush } from '../support/fake-adapter'

/** A SocketTask that, like Taro H5 and other shims, keeps only the last handler of each event. */
function singleHandlerTask() {
  const handlers: Record<string, (result?: any) => void> = {}
  const task = {
    sent: [] as unknown[],
    closed: undefined as unknown,
    send: vi.fn((options: Parameters<SocketTaskLike['send']>[0]): unknown => {
      task.sent.push(options.data)
      return undefined
    }),
    close: vi.fn((options: Parameters<SocketTaskLike['close']>[0]) => {
      task.closed = options
    }),
    onOpen: (cb: (r?: any) => void) => (handlers.open = cb),
    onMessage: (cb: (r: any) => void) => (handlers.message = cb),
    onClose: (cb: (r: any) => void) => (handlers.close = cb),
    onError: (cb: (r: any) => void) => (handlers.error = cb),
    fire: (event: string, result?: unknown) => handlers[event]?.(result),
  }
  return task
}

function recorder(): ConnectionHandlers & { events: unknown[][] } {
  const events: unknown[][] = []
  return {
    events,
    open: () => events.push(['open']),
    message: (data) => events.push(['message', data]),
    close: (code, reason) => events.push(['close', code, reason]),
    error: (message) => events.push(['error', message]),
  }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('task adapter (wx, my, tt, qq, swan, uni)', () => {
  it('registers exactly one handler per event and maps the task to the client', () => {
    const task = singleHandlerTask()
    const handlers = recorder()
    const connection = taskConnection(task, handlers)
    task.fire('open')
    task.fire('message', { data: 'text' })
    const buffer = new ArrayBuffer(2)
    task.fire('message', { data: buffer })
    task.fire('error', { errMsg: 'connectSocket:fail' })
    task.fire('error', undefined)
    task.fire('close', { code: 1001, reason: 'going away' })
    task.fire('close', {})
    expect(handlers.events).toEqual([
      ['open'],
      ['message', 'text'],
      ['message', buffer],
      ['error', 'connectSocket:fail'],
      ['error', 'socket error'],
      ['close', 1001, 'going away'],
      ['close', undefined, undefined],
    ])
    connection.send('hello')
    expect(task.sent).toEqual(['hello'])
    connection.close(4000, 'bye')
    expect(task.closed).toMatchObject({ code: 4000, reason: 'bye' })
  })

  it('reports a failed send through the fail callback as an error', () => {
    const task = singleHandlerTask()
    task.send.mockImplementation((options) => options.fail?.({ errMsg: 'sendSocketMessage:fail' }))
    const handlers = recorder()
    taskConnection(task, handlers).send('x')
    expect(handlers.events).toEqual([['error', 'sendSocketMessage:fail']])
  })

  it('uni: always passes a callback so a SocketTask comes back, and calls uni.* literally', () => {
    const task = singleHandlerTask()
    const onAppShow = vi.fn()
    const offAppShow = vi.fn()
    const onNetworkStatusChange = vi.fn()
    const offNetworkStatusChange = vi.fn()
    const connectSocket = vi.fn((options: { complete?: () => void }) => (options.complete ? task : Promise.resolve(task)))
    vi.stubGlobal('uni', { connectSocket, onAppShow, offAppShow, onNetworkStatusChange, offNetworkStatusChange })
    const adapter = uniAdapter()
    adapter.connect('ws://x', recorder()).send('a')
    expect(connectSocket).toHaveBeenCalledWith(expect.objectContaining({ url: 'ws://x', complete: expect.any(Function) }))
    expect(task.sent).toEqual(['a'])
    const wake = vi.fn()
    const unwatch = adapter.watch!(wake)
    onAppShow.mock.calls[0][0]()
    onNetworkStatusChange.mock.calls[0][0]({ isConnected: false })
    onNetworkStatusChange.mock.calls[0][0]({ isConnected: true })
    expect(wake).toHaveBeenCalledTimes(2)
    unwatch()
    expect(offAppShow).toHaveBeenCalledWith(onAppShow.mock.calls[0][0])
    expect(offNetworkStatusChange).toHaveBeenCalledWith(onNetworkStatusChange.mock.calls[0][0])
  })

  it('works on base libraries without the off* functions', () => {
    vi.stubGlobal('wx', { connectSocket: () => singleHandlerTask(), onAppShow: vi.fn() })
    const adapter = resolveRuntime('wx')
    expect(() => adapter.watch!(() => {})()).not.toThrow()
  })
})

describe('runtime detection', () => {
  const api = (name: string) => ({ name, connectSocket: vi.fn(() => singleHandlerTask()) })

  it("prefers uni, then wx, my, tt, qq, swan, then a global WebSocket", () => {
    const order = ['uni', 'wx', 'my', 'tt', 'qq', 'swan'] as const
    for (let i = 0; i < order.length; i++) {
      vi.unstubAllGlobals()
      const present = order.slice(i).map((name) => [name, api(name)] as const)
      for (const [name, value] of present) vi.stubGlobal(name, value)
      resolveRuntime('auto').connect('ws://x', recorder())
      const [first, ...rest] = present
      expect(first[1].connectSocket).toHaveBeenCalledTimes(1)
      for (const [, other] of rest) expect(other.connectSocket).not.toHaveBeenCalled()
    }
    vi.unstubAllGlobals()
    const constructed: string[] = []
    vi.stubGlobal(
      'WebSocket',
      class {
        constructor(url: string) {
          constructed.push(url)
        }
      },
    )
    resolveRuntime('auto').connect('ws://web', recorder())
    expect(constructed).toEqual(['ws://web'])
  })

  it('asks Alipay for a SocketTask with multiple: true', () => {
    const my = api('my')
    vi.stubGlobal('my', my)
    resolveRuntime('my').connect('ws://x', recorder())
    expect(my.connectSocket).toHaveBeenCalledWith(expect.objectContaining({ url: 'ws://x', multiple: true }))
  })

  it('says what to do when no runtime is found', () => {
    expect(() => resolveRuntime('auto')).toThrow(/web\(WebSocket\)/)
    expect(() => resolveRuntime('tt')).toThrow(/"tt" is not available/)
  })

  it('takes an adapter object as it is', () => {
    const adapter = { connect: vi.fn() }
    expect(resolveRuntime(adapter)).toBe(adapter)
  })
})

describe('taro adapter', () => {
  it("says what to pass when given an object without connectSocket (Taro 4 H5's default export)", () => {
    expect(() => taro({} as never)).toThrow(/connectSocket: Taro.connectSocket/)
  })


  it('waits for the task promise, reads Blob frames in order, and catches a rejected send', async () => {
    const task = singleHandlerTask()
    let resolveTask!: (value: SocketTaskLike) => void
    const Taro = { connectSocket: vi.fn(() => new Promise<SocketTaskLike>((resolve) => (resolveTask = resolve))) }
    const handlers = recorder()
    const connection = taro(Taro).connect('ws://x', handlers)
    resolveTask(task)
    await flush()
    task.fire('open')
    const blob = new Blob([new Uint8Array([1, 2, 3])])
    task.fire('message', { data: blob })
    task.fire('message', { data: 'after the blob' })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(handlers.events[0]).toEqual(['open'])
    expect(handlers.events[1][0]).toBe('message')
    expect(new Uint8Array(handlers.events[1][1] as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]))
    expect(handlers.events[2]).toEqual(['message', 'after the blob'])
    task.send.mockImplementation(() => Promise.reject(new Error('not open')))
    connection.send('x')
    await flush()
    expect(handlers.events.at(-1)).toEqual(['error', 'send failed'])
  })

  it('closes a task that arrives after close() was called', async () => {
    const task = singleHandlerTask()
    const Taro = { connectSocket: () => Promise.resolve(task) }
    const connection = taro(Taro).connect('ws://x', recorder())
    connection.close(1000, 'done')
    await flush()
    expect(task.close).toHaveBeenCalledWith(expect.objectContaining({ code: 1000, reason: 'done' }))
  })

  it('reports a rejected connectSocket as an error', async () => {
    const handlers = recorder()
    taro({ connectSocket: () => Promise.reject<SocketTaskLike>({ errMsg: 'connectSocket:fail' }) }).connect('ws://x', handlers)
    await flush()
    expect(handlers.events).toEqual([['error', 'connectSocket:fail']])
  })
})

describe('web adapter', () => {
  class FakeWebSocket implements WebSocketLike {
    static last: FakeWebSocket
    binaryType = 'blob'
    onopen: WebSocketLike['onopen'] = null
    onmessage: WebSocketLike['onmessage'] = null
    onclose: WebSocketLike['onclose'] = null
    onerror: WebSocketLike['onerror'] = null
    sent: unknown[] = []
    constructor(readonly url: string) {
      FakeWebSocket.last = this
    }
    send(data: string) {
      if (data === 'boom') throw new Error('InvalidStateError')
      this.sent.push(data)
    }
    close(code?: number) {
      if (code === 1001) throw new Error('InvalidAccessError')
    }
  }

  it('asks for ArrayBuffer binary and maps events, throwing send and close included', () => {
    const handlers = recorder()
    const connection = web(FakeWebSocket).connect('ws://x', handlers)
    const socket = FakeWebSocket.last
    expect(socket.binaryType).toBe('arraybuffer')
    socket.onopen!({})
    socket.onmessage!({ data: 'hi' })
    socket.onerror!({})
    socket.onclose!({ code: 1006, reason: '' })
    connection.send('ok')
    connection.send('boom')
    expect(() => connection.close(1001, '')).not.toThrow()
    expect(socket.sent).toEqual(['ok'])
    expect(handlers.events).toEqual([['open'], ['message', 'hi'], ['error', 'socket error'], ['close', 1006, ''], ['error', 'Error: InvalidStateError']])
  })

  it('wakes on online and on the page becoming visible, and removes both listeners', () => {
    const windowTarget = new EventTarget()
    const documentTarget = Object.assign(new EventTarget(), { visibilityState: 'hidden' })
    vi.stubGlobal('window', windowTarget)
    vi.stubGlobal('document', documentTarget)
    const wake = vi.fn()
    const unwatch = web(FakeWebSocket).watch!(wake)
    windowTarget.dispatchEvent(new Event('online'))
    documentTarget.dispatchEvent(new Event('visibilitychange'))
    documentTarget.visibilityState = 'visible'
    documentTarget.dispatchEvent(new Event('visibilitychange'))
    expect(wake).toHaveBeenCalledTimes(2)
    unwatch()
    windowTarget.dispatchEvent(new Event('online'))
    documentTarget.dispatchEvent(new Event('visibilitychange'))
    expect(wake).toHaveBeenCalledTimes(2)
  })

  it('watches nothing where there is no window (Node)', () => {
    expect(() => web(FakeWebSocket).watch!(() => {})()).not.toThrow()
  })
})

describe('alipay adapter', () => {
  it('round-trips any bytes through base64', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length * 13) % 256)
      const text = toBase64(bytes.buffer)
      expect(text).toBe(Buffer.from(bytes).toString('base64'))
      expect([...new Uint8Array(fromBase64(text))]).toEqual([...bytes])
    }
  })

  it('asks for a task with multiple: true, moves protocols into a header, and carries binary as base64 both ways', () => {
    const task = singleHandlerTask()
    const my = { connectSocket: vi.fn((_options: object) => task) }
    const events = recorder()
    const connection = alipay(my).connect('ws://x', events, { protocols: ['a', 'b'], header: { 'x-app': '1' } })
    expect(my.connectSocket).toHaveBeenCalledWith(
      expect.objectContaining({ url: 'ws://x', multiple: true, protocols: undefined, header: { 'Sec-WebSocket-Protocol': 'a, b', 'x-app': '1' } }),
    )
    connection.send(Uint8Array.from([1, 2, 255]).buffer)
    connection.send('text')
    expect(task.send.mock.calls.map(([options]) => options)).toEqual([
      expect.objectContaining({ data: 'AQL/', isBuffer: true }),
      expect.objectContaining({ data: 'text' }),
    ])
    task.fire('message', { data: 'AQL/', isBuffer: true })
    task.fire('message', { data: { data: 'BAU=', isBuffer: true } })
    task.fire('message', { data: 'plain' })
    const received = events.events.filter(([kind]) => kind === 'message').map(([, data]) => (data instanceof ArrayBuffer ? [...new Uint8Array(data)] : data))
    expect(received).toEqual([[1, 2, 255], [4, 5], 'plain'])
  })
})
