// `mp-socket/testing`: a mini-program runtime for tests in Node, whose sockets are real WebSocket
// connections. Test your pages and stores against your real server, and pull the network or send
// the app to the background from the test.
import type { MiniProgramApi } from './adapters/miniprogram'
import { fromBase64, toBase64 } from './adapters/alipay'
import type { ConnectOptions } from './adapters/types'
import type { WebSocketConstructor, WebSocketLike } from './adapters/web'

type Callback = (result?: any) => void // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The runtimes the fake can imitate; they differ where their real `connectSocket` differs:
 * `uni` returns a Promise unless a callback is given; `my` (Alipay) needs `multiple: true`, takes
 * sub-protocols only as a header, and carries binary as base64 text with `isBuffer: true`.
 */
export type TestRuntimeFlavour = 'wx' | 'uni' | 'my' | 'tt'

export interface TestRuntimeOptions {
  /** Which runtime to imitate. @default 'wx' */
  flavour?: TestRuntimeFlavour
  /** The WebSocket class behind the sockets, e.g. `WebSocket` from `ws`. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor
}

/** A SocketTask of the test runtime (wx semantics: many handlers per event, callbacks on send/close). */
export interface TestSocketTask {
  readonly url: string
  /** Open and still delivering events. */
  readonly isOpen: boolean
  onOpen(callback: Callback): void
  onMessage(callback: Callback): void
  onClose(callback: Callback): void
  onError(callback: Callback): void
  send(options: { data: string | ArrayBuffer; isBuffer?: boolean; success?: Callback; fail?: Callback; complete?: Callback }): void
  close(options?: { code?: number; reason?: string; success?: Callback; fail?: Callback; complete?: Callback }): void
}

export interface TestRuntime {
  /** The API object: pass it as the runtime global (`wx`, `uni`, `my`, `tt`) or to `miniProgram(api)`. */
  readonly api: MiniProgramApi & Record<string, (...args: any[]) => any> // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Every task `connectSocket` returned, oldest first. */
  readonly tasks: readonly TestSocketTask[]
  /** Tasks open now: a client that leaks sockets shows up here. */
  readonly openTasks: readonly TestSocketTask[]
  /** App and network listeners still registered: 0 after a client's `close()`. */
  readonly listenerCount: number
  /** Sets the API object as the global of its flavour (`globalThis.wx = api`); returns the undo. */
  install(): () => void
  /** The device loses its network: open sockets fail with 1006, new ones cannot connect. */
  networkOff(): void
  /** The network is back: `onNetworkStatusChange({isConnected: true})` fires. */
  networkOn(): void
  /**
   * The app goes to the background: `onAppHide` fires. As in WeChat, `suspendAfter` ms later
   * (5 s; `false`: never) the network is suspended: open sockets close with `{code: 1000, reason:
   * 'interrupted'}`, `connectSocket` fails with "network api interrupted in suspend state", sends
   * fail. With `dropSockets`, open sockets die at once without telling anyone, as they do on some
   * phones: nothing arrives, sends vanish. (The real runtime also stops timers; a test's keep
   * running, so what the client does meanwhile is visible.)
   */
  hide(options?: { dropSockets?: boolean; suspendAfter?: number | false }): void
  /** The app comes back to the foreground: the network is back, `onAppShow` fires. */
  show(): void
  /** The network is suspended: hidden longer than `suspendAfter`. */
  readonly suspended: boolean
}

/** WeChat's storage limit per mini-program, in characters here. */
const STORAGE_LIMIT = 10 * 1024 * 1024

/** What WeChat answers while a hidden mini-program's network is suspended. */
const SUSPENDED = 'network api interrupted in suspend state'

const OPEN = 1
type Socket = WebSocketLike & { readonly readyState: number }

/** Creates a test runtime. Call `install()` or pass `runtime.api` to an adapter. */
export function createTestRuntime(options: TestRuntimeOptions = {}): TestRuntime {
  const flavour = options.flavour || 'wx'
  const found = options.WebSocket || (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (!found) throw new Error('createTestRuntime: no global WebSocket here; pass { WebSocket } from the ws package')
  const WebSocketClass = found
  const tasks: Array<TestSocketTask & { kill(how: 'silently' | 'lost' | 'interrupted'): void }> = []
  const listeners = { appShow: new Set<Callback>(), appHide: new Set<Callback>(), network: new Set<Callback>() }
  let online = true
  /** What `setStorageSync` kept: it survives a relaunch (a new client on the same runtime). */
  const storage = new Map<string, unknown>()
  let suspended = false
  let suspending: ReturnType<typeof setTimeout> | undefined


  function connectSocket(options: ConnectOptions & { url: string; multiple?: boolean; success?: Callback; fail?: Callback; complete?: Callback }) {
    // Alipay without `multiple: true` has one global socket and returns no task.
    if (flavour === 'my' && !options.multiple) return undefined
    const task = openTask(flavour, WebSocketClass, suspended ? `connectSocket:fail ${SUSPENDED}` : online ? '' : 'connectSocket:fail network unavailable', () => suspended, options)
    tasks.push(task)
    options.success?.({ errMsg: 'connectSocket:ok' })
    options.complete?.({ errMsg: 'connectSocket:ok' })
    // uni-app returns a Promise, and no task, unless a callback is passed.
    if (flavour === 'uni' && !options.success && !options.fail && !options.complete) return Promise.resolve({ errMsg: 'connectSocket:ok' })
    return task
  }

  const on = (set: Set<Callback>) => (callback: Callback) => void set.add(callback)
  const off = (set: Set<Callback>) => (callback: Callback) => void set.delete(callback)
  const api = {
    connectSocket,
    onAppShow: on(listeners.appShow),
    offAppShow: off(listeners.appShow),
    onAppHide: on(listeners.appHide),
    offAppHide: off(listeners.appHide),
    onNetworkStatusChange: on(listeners.network),
    offNetworkStatusChange: off(listeners.network),
    getNetworkType: (options: { success?: Callback }) => options.success?.({ networkType: online ? 'wifi' : 'none' }),
    // Storage as WeChat has it: '' for a missing key, and a throw past 10 MB (keys and values).
    getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync(key: string, data: string) {
      const size = [...storage].reduce((total, [k, v]) => total + (k === key ? 0 : k.length + String(v).length), key.length + String(data).length)
      if (size > STORAGE_LIMIT) throw new Error('setStorageSync:fail exceed storage max size 10MB')
      storage.set(key, data)
    },
  }
  const fire = (set: Set<Callback>, result: unknown) => {
    for (const callback of [...set]) callback(result)
  }

  return {
    api: api as TestRuntime['api'],
    tasks,
    get openTasks() {
      return tasks.filter((task) => task.isOpen)
    },
    get listenerCount() {
      return listeners.appShow.size + listeners.appHide.size + listeners.network.size
    },
    install() {
      const scope = globalThis as Record<string, unknown>
      const previous = scope[flavour]
      scope[flavour] = api
      return () => {
        if (previous === undefined) delete scope[flavour]
        else scope[flavour] = previous
      }
    },
    networkOff() {
      online = false
      for (const task of tasks) task.kill('lost')
      fire(listeners.network, { isConnected: false, networkType: 'none' })
    },
    networkOn() {
      online = true
      fire(listeners.network, { isConnected: true, networkType: 'wifi' })
    },
    hide({ dropSockets = false, suspendAfter = 5000 } = {}) {
      if (dropSockets) for (const task of tasks) task.kill('silently')
      fire(listeners.appHide, {})
      clearTimeout(suspending)
      if (suspendAfter !== false) {
        suspending = setTimeout(() => {
          suspended = true
          for (const task of tasks) task.kill('interrupted')
        }, suspendAfter)
      }
    },
    show() {
      clearTimeout(suspending)
      suspended = false
      fire(listeners.appShow, { path: 'pages/index/index', scene: 1001 })
    },
    get suspended() {
      return suspended
    },
  }
}

/** One SocketTask over a real WebSocket, or one that fails with `failure` (network off, suspended). */
function openTask(
  flavour: TestRuntimeFlavour,
  WebSocketClass: WebSocketConstructor,
  failure: string,
  isSuspended: () => boolean,
  { url, header, protocols }: ConnectOptions & { url: string },
) {
  const handlers: Record<'open' | 'message' | 'close' | 'error', Callback[]> = { open: [], message: [], close: [], error: [] }
  const emit = (event: keyof typeof handlers, result?: unknown) => {
    if (!deaf) for (const handler of handlers[event].slice()) handler(result)
  }
  // Set once the socket died silently: events stop, as from a phone whose connection vanished.
  let deaf = false
  let closed = false
  const finish = (code: number, reason: string) => {
    if (closed) return
    closed = true
    emit('close', { code, reason })
  }
  let socket: Socket | undefined
  if (!failure) {
    // Handshake headers and sub-protocols reach the server, as from a real device (Alipay: only
    // as a header, its `protocols` option is intercepted).
    let headers = header
    if (flavour === 'my') {
      // Alipay ignores the option; a `Sec-WebSocket-Protocol` header is what reaches the wire
      // (given to `ws` as its protocols, which it would otherwise refuse to see echoed).
      const { 'Sec-WebSocket-Protocol': asHeader, ...rest } = header || {}
      protocols = asHeader ? asHeader.split(/,\s*/) : undefined
      headers = rest
    }
    socket = new WebSocketClass(url, protocols, headers ? { headers } : {}) as Socket
    socket.binaryType = 'arraybuffer'
    socket.onopen = () => emit('open', {})
    socket.onmessage = (event) =>
      emit(
        'message',
        flavour === 'my' && typeof event.data !== 'string'
          ? { data: toBase64(event.data as ArrayBuffer), isBuffer: true }
          : { data: event.data },
      )
    socket.onerror = () => emit('error', { errMsg: 'connectSocket:fail' })
    socket.onclose = (event) => finish(event.code, event.reason)
  } else {
    setTimeout(() => {
      emit('error', { errMsg: failure })
      finish(1006, '')
    }, 1)
  }
  const task = {
    url,
    get isOpen() {
      return !!socket && socket.readyState === OPEN && !deaf && !closed
    },
    onOpen: (callback: Callback) => handlers.open.push(callback),
    onMessage: (callback: Callback) => handlers.message.push(callback),
    onClose: (callback: Callback) => handlers.close.push(callback),
    onError: (callback: Callback) => handlers.error.push(callback),
    send({ data, isBuffer, success, fail, complete }: Parameters<TestSocketTask['send']>[0]) {
      if (deaf) return success?.({}), complete?.({})
      if (isSuspended()) {
        fail?.({ errMsg: `sendSocketMessage:fail ${SUSPENDED}` })
      } else if (!socket || socket.readyState !== OPEN) {
        fail?.({ errMsg: 'sendSocketMessage:fail socket not open' })
      } else if (flavour === 'my' && typeof data !== 'string') {
        fail?.({ errMsg: 'sendSocketMessage:fail binary data must be base64 text with isBuffer: true' })
      } else {
        socket.send(flavour === 'my' && isBuffer ? fromBase64(data as string) : data)
        success?.({})
      }
      complete?.({})
    },
    close({ code = 1000, reason = '', success, complete }: Parameters<TestSocketTask['close']>[0] = {}) {
      if (socket && socket.readyState <= OPEN) socket.close(code, reason)
      success?.({})
      complete?.({})
    },
    /** The socket dies: `silently`, as `lost` (network gone: 1006), or `interrupted` (WeChat's suspend). */
    kill(how: 'silently' | 'lost' | 'interrupted') {
      if (!task.isOpen) return
      if (how === 'silently') deaf = true
      else if (how === 'interrupted') finish(1000, 'interrupted')
      else {
        emit('error', { errMsg: 'network lost' })
        finish(1006, 'network lost')
      }
      socket!.onclose = null
      socket!.close()
    },
  }
  return task
}
