import type { Adapter } from '../adapters/types'
import { MpSocketError } from '../errors'
import type { LoginOf, MpSocket, PushMap, RequestMap, Untyped } from '../types'
import type { SocketOptions } from '../options'

/**
 * The `createSocket` of an entry with one runtime (`mp-socket/wx`, `/uni`, `/web`): that runtime's
 * adapter unless `runtime` is an adapter object. Each entry writes its one line of code itself, so
 * that no wrapper costs bytes in the smallest bundles.
 * @internal
 */
export type SingleRuntimeCreateSocket<Name extends string> = <P extends PushMap = Untyped, R extends RequestMap = Untyped>(
  options: SocketOptions<LoginOf<R>> & { runtime?: Name | Adapter },
) => MpSocket<P, R>

/**
 * Thrown by an entry's `createSocket` where its runtime's global is missing: without it `wx` and
 * `WebSocket` fail later with a bare ReferenceError, and `uni` retries "connect failed" forever.
 * @internal
 */
export function missingRuntime(message: string): never {
  throw new MpSocketError(message)
}
