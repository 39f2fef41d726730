import { resolveRuntime, type RuntimeName } from './adapters/auto'
import type { Adapter } from './adapters/types'
import { createClient } from './client'
import type { LoginOf, MpSocket, PushMap, RequestMap, Untyped } from './types'
import type { SocketOptions } from './options'

/**
 * Creates a client. Nothing happens on the network until `connectionLoop()` is called.
 *
 * ```ts
 * const socket = createSocket({ url: 'wss://ws.example.com/ws', login: () => ({ u: 'user:6', token }) })
 * socket.connectionLoop()
 * ```
 */
export function createSocket<P extends PushMap = Untyped, R extends RequestMap = Untyped>(
  options: SocketOptions<LoginOf<R>> & { runtime?: RuntimeName | Adapter },
): MpSocket<P, R> {
  return createClient<P, R>(options, resolveRuntime(options.runtime))
}
