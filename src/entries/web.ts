// `mp-socket/web`: the client with only the WebSocket adapter, for browsers and Node.
import { web, type WebSocketConstructor } from '../adapters/web'
import type { Adapter } from '../adapters/types'
import { createClient, type MpSocket, type PushMap, type RequestMap, type Untyped } from '../client'
import type { SocketOptions } from '../options'

declare const WebSocket: WebSocketConstructor

export { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError } from '../errors'
export { jsonProtocol } from '../protocol'
export { web } from '../adapters/web'
export type * from '../index'

/** `createSocket` over the global `WebSocket` (or over `runtime`, e.g. `web(WebSocket)` from `ws`). */
export function createSocket<P extends PushMap = Untyped, R extends RequestMap = Untyped>(
  options: SocketOptions & { runtime?: 'web' | Adapter },
): MpSocket<P, R> {
  const { runtime } = options
  return createClient<P, R>(options, typeof runtime === 'object' ? runtime : web(WebSocket))
}
