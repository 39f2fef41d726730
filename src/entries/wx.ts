// `mp-socket/wx`: the client with only the WeChat adapter, for the smallest native WeChat package.
import { miniProgram, type MiniProgramApi } from '../adapters/miniprogram'
import { createClient } from '../client'
import { missingRuntime, type SingleRuntimeCreateSocket } from './single'

declare const wx: MiniProgramApi | undefined

export { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError, FinalError, KickedError, AuthError } from '../errors'
export { jsonProtocol } from '../protocol'
export * from './public-types'

/**
 * `createSocket` over `wx.connectSocket` (or over `runtime` when it is an adapter). Throws
 * `MpSocketError` outside WeChat when `runtime` is no adapter.
 */
export const createSocket: SingleRuntimeCreateSocket<'wx'> = (options) =>
  createClient(
    options,
    typeof options.runtime === 'object'
      ? options.runtime
      : typeof wx !== 'undefined'
        ? miniProgram(wx)
        : missingRuntime('mp-socket/wx: no wx; pass runtime: miniProgram(api)'),
  )
