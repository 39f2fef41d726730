import type { Adapter, ConnectOptions, ConnectionHandlers } from '../../src/adapters/types'

/** One socket opened through the fake adapter, driven by the test as if it were the server. */
export interface FakeSocket {
  url: string
  /** The `connectOptions` the client passed. */
  options?: ConnectOptions
  /** Frames exactly as the client wrote them. */
  raw: Array<string | ArrayBuffer>
  /** Frames the client wrote, parsed as JSON when they are JSON. */
  sent: any[]
  closedWith?: { code: number; reason: string }
  handlers: ConnectionHandlers
  open(): void
  /** Delivers a frame: objects are JSON-encoded, strings and ArrayBuffers pass as they are. */
  receive(frame: unknown): void
  serverClose(code?: number, reason?: string): void
  fail(message?: string): void
  /** Answers the last request for `event` with `{error, body}`. */
  reply(event: string, body?: unknown, error?: number): void
  lastRequest(event: string): any
}

/** `throwOnSend`: every send throws, or those of the frames it returns `true` for. */
export function fakeAdapter(
  options: { throwOnConnect?: boolean; throwOnSend?: boolean | ((data: string | ArrayBuffer) => boolean); failWhileConnecting?: boolean } = {},
) {
  const sockets: FakeSocket[] = []
  let wake: (() => void) | undefined
  let visible: ((shown: boolean) => void) | undefined
  let watching = 0

  const adapter: Adapter = {
    connect(url, handlers, connectOptions) {
      if (options.throwOnConnect) throw new Error('cannot connect')
      const socket: FakeSocket = {
        url,
        options: connectOptions,
        raw: [],
        sent: [],
        handlers,
        open: () => handlers.open(),
        receive: (frame) => handlers.message(typeof frame === 'string' || frame instanceof ArrayBuffer ? frame : JSON.stringify(frame)),
        serverClose: (code = 1000, reason = '') => handlers.close(code, reason),
        fail: (message = 'network down') => handlers.error(message),
        reply(event, body, error = 0) {
          const request = socket.lastRequest(event)
          if (!request) throw new Error(`no request "${event}" was sent`)
          socket.receive({ type: 'respon', event: request.uuid, data: { error, body } })
        },
        lastRequest: (event) => [...socket.sent].reverse().find((frame) => frame && frame.event === event),
      }
      sockets.push(socket)
      // Some runtimes report a failure before connectSocket has even returned.
      if (options.failWhileConnecting) handlers.error('connectSocket:fail')
      return {
        send(data) {
          const { throwOnSend } = options
          if (throwOnSend === true || (throwOnSend && throwOnSend(data))) throw new Error('send failed')
          socket.raw.push(data)
          let frame: unknown = data
          try {
            frame = JSON.parse(data as string)
          } catch {
            // Not JSON: kept as it is.
          }
          socket.sent.push(frame)
        },
        close(code, reason) {
          socket.closedWith = { code, reason }
        },
      }
    },
    watch(callback, onVisible) {
      wake = callback
      visible = onVisible
      watching++
      return () => {
        watching--
        wake = undefined
        visible = undefined
      }
    },
  }

  return {
    adapter,
    sockets,
    get last(): FakeSocket {
      const socket = sockets[sockets.length - 1]
      if (!socket) throw new Error('no socket was opened')
      return socket
    },
    get watching() {
      return watching
    },
    wake() {
      wake?.()
    },
    /** The app goes to the background (`onAppHide`). */
    hide() {
      visible?.(false)
    },
    /** The app comes back (`onAppShow`): visible, then a wake-up. */
    show() {
      visible?.(true)
      wake?.()
    },
  }
}

/** Lets pending promise callbacks run (with fake timers, `await` alone does not advance them). */
export async function flush(times = 20) {
  for (let i = 0; i < times; i++) await Promise.resolve()
}
