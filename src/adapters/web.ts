import type { Adapter } from './types'

// Handler properties are typed as methods' parameters are (bivariantly), so that the browser's
// `(this: WebSocket, ev: MessageEvent) => any` and `ws`'s `(event: WebSocket.MessageEvent) => void`
// both fit, while the adapter's own handlers still see `data`, `code` and `reason`.
type Handler<Event> = { bivarianceHack(event: Event): void }['bivarianceHack'] | null

/** The part of the standard WebSocket the adapter uses (browsers, the `ws` package, undici). */
export interface WebSocketLike {
  binaryType: string
  onopen: Handler<unknown>
  onmessage: Handler<{ data: unknown }>
  onclose: Handler<{ code: number; reason: string }>
  onerror: Handler<unknown>
  send(data: string | ArrayBuffer): void
  close(code?: number, reason?: string): void
}

/**
 * A WebSocket class. Browsers take `(url, protocols)`; Node's `ws` also takes an options object,
 * where handshake headers and compression go.
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string>; perMessageDeflate?: boolean },
) => WebSocketLike

/** `ws`'s own event interface: its `message` listener gets the data without building a MessageEvent. */
interface NodeEmitter {
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): void
}

interface EventSource {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
}
declare const window: EventSource | undefined
declare const document: (EventSource & { visibilityState: string }) | undefined
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void } | undefined

/**
 * Adapter over a WebSocket constructor: the browser's `WebSocket`, or `WebSocket` from the `ws`
 * package in Node. Network regained (`online`) and the page becoming visible wake the client.
 * `connectOptions.protocols` goes to every implementation; `header` and `perMessageDeflate` only
 * to those that take an options object (`ws`): browsers cannot send headers.
 */
export function web(WebSocketClass: WebSocketConstructor): Adapter {
  return {
    connect(url, handlers, options = {}) {
      const { protocols, header, perMessageDeflate } = options
      // Only what was given: `ws` reads a present-but-undefined `perMessageDeflate` as "off".
      const extra: { headers?: Record<string, string>; perMessageDeflate?: boolean } = {}
      if (header) extra.headers = header
      if (perMessageDeflate !== undefined) extra.perMessageDeflate = perMessageDeflate
      const socket = new WebSocketClass(url, protocols, extra)
      socket.binaryType = 'arraybuffer'
      socket.onopen = () => handlers.open()
      const emitter = socket as unknown as Partial<NodeEmitter>
      // `ws` builds a MessageEvent for every frame that reaches `onmessage`: its own `message`
      // event spares that allocation on the hot path. Text arrives there as a Buffer.
      if (typeof emitter.on === 'function') {
        emitter.on('message', (data, isBinary) => handlers.message(isBinary ? data : String(data)))
      } else socket.onmessage = (event) => handlers.message(event.data)
      socket.onclose = (event) => handlers.close(event.code, event.reason)
      socket.onerror = () => handlers.error('socket error')
      return {
        send(data) {
          try {
            socket.send(data)
          } catch (error) {
            handlers.error(String(error))
          }
        },
        close(code, reason) {
          try {
            socket.close(code, reason)
          } catch {
            // Already closing, or a code this implementation refuses: the socket goes either way.
          }
        },
      }
    },
    // Read when used: a sandboxed page throws on access, which costs the persistence, not the client.
    storage: typeof localStorage === 'undefined' ? undefined : { get: (key) => localStorage!.getItem(key), set: (key, value) => localStorage!.setItem(key, value) },
    watch(wake, visible) {
      const onOnline = () => wake()
      const onVisibility = () => {
        const shown = !document || document.visibilityState !== 'hidden'
        if (visible) visible(shown)
        if (shown) wake()
      }
      if (typeof window !== 'undefined' && window) window.addEventListener('online', onOnline)
      if (typeof document !== 'undefined' && document) document.addEventListener('visibilitychange', onVisibility)
      return () => {
        if (typeof window !== 'undefined' && window) window.removeEventListener('online', onOnline)
        if (typeof document !== 'undefined' && document) document.removeEventListener('visibilitychange', onVisibility)
      }
    },
  }
}
