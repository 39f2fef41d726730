// `mp-socket/web`: the client with only the WebSocket adapter, for browsers and Node.
import { web, type WebSocketConstructor } from '../adapters/web'
import { createClient } from '../client'
import { missingRuntime, type SingleRuntimeCreateSocket } from './single'

declare const WebSocket: WebSocketConstructor | undefined

export { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError, FinalError, KickedError, AuthError } from '../errors'
export { jsonProtocol } from '../protocol'
export { web } from '../adapters/web'
export * from './public-types'

/**
 * `createSocket` over the global `WebSocket` (or over `runtime`, e.g. `web(WebSocket)` from `ws`).
 * Throws `MpSocketError` where there is no global `WebSocket` (Node 20) and `runtime` is no adapter.
 */
export const createSocket: SingleRuntimeCreateSocket<'web'> = (options) =>
  createClient(
    options,
    typeof options.runtime === 'object'
      ? options.runtime
      : typeof WebSocket !== 'undefined'
        ? web(WebSocket)
        : missingRuntime('mp-socket/web: no WebSocket; pass runtime: web(WebSocket) from ws'),
  )
