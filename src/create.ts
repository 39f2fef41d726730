import { resolveRuntime, type RuntimeName } from './adapters/auto'
import type { Adapter } from './adapters/types'
import { createClient, type MpSocket, type PushMap, type RequestMap } from './client'
import type { SocketOptions } from './options'

/**
 * Creates a client. Nothing happens on the network until `connectionLoop()` is called.
 *
 * ```ts
 * const socket = createSocket({ url: 'wss://ws.example.com/ws', login: () => ({ u: 'user:6', token }) })
 * socket.connectionLoop()
 * ```
 */
export function createSocket<P extends PushMap = Record<string, any>, R extends RequestMap = Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any
  options: SocketOptions & { runtime?: RuntimeName | Adapter },
): MpSocket<P, R> {
  return createClient<P, R>(options, resolveRuntime(options.runtime))
}
