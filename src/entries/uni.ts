// `mp-socket/uni`: the client with only the uni-app adapter.
import { uniAdapter } from '../adapters/uni'
import { createClient } from '../client'
import { missingRuntime, type SingleRuntimeCreateSocket } from './single'

declare const uni: unknown

export { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError, FinalError, KickedError, AuthError } from '../errors'
export { jsonProtocol } from '../protocol'
export * from './public-types'

/**
 * `createSocket` over `uni.connectSocket` (or over `runtime` when it is an adapter). Throws
 * `MpSocketError` outside uni-app when `runtime` is no adapter.
 */
export const createSocket: SingleRuntimeCreateSocket<'uni'> = (options) =>
  createClient(
    options,
    typeof options.runtime === 'object'
      ? options.runtime
      : typeof uni !== 'undefined'
        ? uniAdapter()
        : missingRuntime('mp-socket/uni: no uni; pass runtime: an adapter'),
  )
