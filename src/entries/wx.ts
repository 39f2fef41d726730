// `mp-socket/wx`: the client with only the WeChat adapter, for the smallest native WeChat package.
import { miniProgram, type MiniProgramApi } from '../adapters/miniprogram'
import type { Adapter } from '../adapters/types'
import { createClient, type MpSocket, type PushMap, type RequestMap, type Untyped } from '../client'
import type { SocketOptions } from '../options'

declare const wx: MiniProgramApi

export { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError } from '../errors'
export { jsonProtocol } from '../protocol'
export type * from '../index'

/** `createSocket` over `wx.connectSocket` (or over `runtime` when it is an adapter). */
export function createSocket<P extends PushMap = Untyped, R extends RequestMap = Untyped>(
  options: SocketOptions & { runtime?: 'wx' | Adapter },
): MpSocket<P, R> {
  const { runtime } = options
  return createClient<P, R>(options, typeof runtime === 'object' ? runtime : miniProgram(wx))
}
