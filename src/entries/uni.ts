// `mp-socket/uni`: the client with only the uni-app adapter.
import type { Adapter } from '../adapters/types'
import { uniAdapter } from '../adapters/uni'
import { createClient, type MpSocket, type PushMap, type RequestMap, type Untyped } from '../client'
import type { SocketOptions } from '../options'

export { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError } from '../errors'
export { jsonProtocol } from '../protocol'
export type * from '../index'

/** `createSocket` over `uni.connectSocket` (or over `runtime` when it is an adapter). */
export function createSocket<P extends PushMap = Untyped, R extends RequestMap = Untyped>(
  options: SocketOptions & { runtime?: 'uni' | Adapter },
): MpSocket<P, R> {
  const { runtime } = options
  return createClient<P, R>(options, typeof runtime === 'object' ? runtime : uniAdapter())
}
