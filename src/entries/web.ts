// `mp-socket/web`: the client with only the WebSocket adapter, for browsers and Node.
import { web, type WebSocketConstructor } from '../adapters/web'
import { createClient } from '../client'
import type { SingleRuntimeCreateSocket } from './single'

declare const WebSocket: WebSocketConstructor

export { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError, FinalError, KickedError, AuthError } from '../errors'
export { jsonProtocol } from '../protocol'
export { web } from '../adapters/web'
export * from './public-types'

/** `createSocket` over the global `WebSocket` (or over `runtime`, e.g. `web(WebSocket)` from `ws`). */
export const createSocket: SingleRuntimeCreateSocket<'web'> = (options) =>
  createClient(options, typeof options.runtime === 'object' ? options.runtime : web(WebSocket))
