import { WebSocket } from 'ws'

type Callback = (result?: any) => void

/** A SocketTask of the fake runtime. */
export interface FakeTask {
  url: string
  socket: WebSocket | undefined
  onOpen(cb: Callback): void
  onMessage(cb: Callback): void
  onClose(cb: Callback): void
  onError(cb: Callback): void
  send(options: { data: string | ArrayBuffer; success?: Callback; fail?: Callback }): void
  close(options?: { code?: number; reason?: string; success?: Callback; fail?: Callback }): void
  kill(): void
  readonly isOpen: boolean
}

/**
 * A wx-style mini-program runtime whose sockets are real `ws` connections: `connectSocket`
 * returns a SocketTask with wx's semantics (many handlers per event, `send`/`close` with
 * success/fail callbacks, `onMessage({data})`), plus `onAppShow`, `onNetworkStatusChange`
 * and their `off*`. Tests switch the network off and on and hide and show the app.
 */
export function createFakeRuntime(options: { flavour?: 'wx' | 'uni' } = {}) {
  const tasks: FakeTask[] = []
  const appShow = new Set<Callback>()
  const networkChange = new Set<Callback>()
  let online = true

  function createTask(url: string): FakeTask {
    const listeners: Record<'open' | 'message' | 'close' | 'error', Callback[]> = { open: [], message: [], close: [], error: [] }
    const emit = (event: keyof typeof listeners, result?: unknown) => {
      for (const listener of [...listeners[event]]) listener(result)
    }
    let closed = false
    const finish = (code: number, reason: string) => {
      if (closed) return
      closed = true
      emit('close', { code, reason })
    }
    const socket = online ? new WebSocket(url) : undefined
    if (socket) {
      socket.binaryType = 'arraybuffer'
      socket.on('open', () => emit('open', {}))
      socket.on('message', (data, isBinary) => emit('message', { data: isBinary ? data : String(data) }))
      socket.on('close', (code, reason) => finish(code, String(reason)))
      socket.on('error', (error) => emit('error', { errMsg: `connectSocket:fail ${error.message}` }))
    } else {
      setTimeout(() => {
        emit('error', { errMsg: 'connectSocket:fail network unavailable' })
        finish(1006, '')
      }, 1)
    }
    const task: FakeTask = {
      url,
      socket,
      onOpen: (cb: Callback) => listeners.open.push(cb),
      onMessage: (cb: Callback) => listeners.message.push(cb),
      onClose: (cb: Callback) => listeners.close.push(cb),
      onError: (cb: Callback) => listeners.error.push(cb),
      send({ data, success, fail }: { data: string | ArrayBuffer; success?: Callback; fail?: Callback }) {
        if (!socket || socket.readyState !== WebSocket.OPEN) return fail?.({ errMsg: 'sendSocketMessage:fail socket not open' })
        socket.send(data, (error) => (error ? fail?.({ errMsg: String(error) }) : success?.({})))
      },
      close({ code, reason, success }: { code?: number; reason?: string; success?: Callback; fail?: Callback } = {}) {
        if (socket && socket.readyState <= WebSocket.OPEN) socket.close(code ?? 1000, reason)
        success?.({})
      },
      /** The device lost its network: the socket dies with 1006, as on a phone. */
      kill() {
        socket?.terminate()
        emit('error', { errMsg: 'network lost' })
        finish(1006, '')
      },
      get isOpen() {
        return !!socket && socket.readyState === WebSocket.OPEN
      },
    }
    tasks.push(task)
    return task
  }

  const api = {
    connectSocket(options: { url: string; success?: Callback; fail?: Callback; complete?: Callback }) {
      const task = createTask(options.url)
      return task
    },
    onAppShow: (cb: Callback) => appShow.add(cb),
    offAppShow: (cb: Callback) => appShow.delete(cb),
    onNetworkStatusChange: (cb: Callback) => networkChange.add(cb),
    offNetworkStatusChange: (cb: Callback) => networkChange.delete(cb),
  } as any

  if (options.flavour === 'uni') {
    // uni.connectSocket returns a Promise unless a callback is passed.
    const connect = api.connectSocket
    api.connectSocket = (o: any) => (o.success || o.fail || o.complete ? connect(o) : Promise.resolve(connect(o)))
  }

  return {
    api,
    tasks,
    /** Sockets that are open now. */
    get openTasks() {
      return tasks.filter((task) => task.isOpen)
    },
    get listenerCount() {
      return appShow.size + networkChange.size
    },
    networkOff() {
      online = false
      for (const task of tasks) if (task.isOpen) task.kill()
      for (const cb of [...networkChange]) cb({ isConnected: false, networkType: 'none' })
    },
    networkOn() {
      online = true
      for (const cb of [...networkChange]) cb({ isConnected: true, networkType: 'wifi' })
    },
    show() {
      for (const cb of [...appShow]) cb({ path: 'pages/index/index' })
    },
  }
}
