import type { Connection, ConnectionHandlers, PositionStorage } from './types'

type Callback<T = unknown> = (result: T) => void
type BivariantCallback<T> = { bivarianceHack(result: T): void }['bivarianceHack']

/** The SocketTask shape shared by wx, uni, my, tt, qq, swan and Taro. @internal */
export interface SocketTaskLike {
  send(options: { data: string | ArrayBuffer; fail?: Callback }): unknown
  close(options: { code?: number; reason?: string; fail?: Callback }): unknown
  onOpen(callback: () => void): void
  onMessage(callback: Callback<{ data: unknown }>): void
  onClose(callback: Callback<{ code?: number; reason?: string } | undefined>): void
  onError(callback: Callback<{ errMsg?: string } | undefined>): void
}

/**
 * The app-level events of a mini-program API object (`wx`, `my`, ...). The `off*` functions get
 * back the very callback their `on*` got, whatever its result type: the official typings
 * (miniprogram-api-typings, Taro) declare them with `GeneralCallbackResult`, so their parameter
 * takes any callback.
 * @internal
 */
export interface LifecycleApi {
  onAppShow?(callback: Callback): void
  offAppShow?(callback: BivariantCallback<unknown>): void
  onAppHide?(callback: Callback): void
  offAppHide?(callback: BivariantCallback<unknown>): void
  onNetworkStatusChange?(callback: Callback<{ isConnected: boolean }>): void
  offNetworkStatusChange?(callback: BivariantCallback<unknown>): void
  /** Synchronous storage (`persist: true`). */
  getStorageSync?(key: string): unknown
  setStorageSync?(key: string, data: string): void
}

/** The runtime's synchronous storage, when it has one. @internal */
export const syncStorage = (api: LifecycleApi): PositionStorage | undefined =>
  api.getStorageSync && api.setStorageSync ? { get: (key) => api.getStorageSync!(key), set: (key, value) => api.setStorageSync!(key, value) } : undefined

const ignore = () => {}

/**
 * Wraps a SocketTask. Exactly one handler is registered per event: some runtimes (Taro H5 and
 * other wx shims) keep only the last one, so fanning out is the client's job.
 * @internal
 */
export function taskConnection(task: SocketTaskLike, handlers: ConnectionHandlers): Connection {
  const fail = (result: unknown) => handlers.error(errorMessage(result))
  task.onOpen(() => handlers.open())
  task.onMessage((result) => handlers.message(result && result.data))
  task.onClose((result) => handlers.close(result && result.code, result && result.reason))
  task.onError((result) => handlers.error(errorMessage(result)))
  return {
    send: (data) => task.send({ data, fail }),
    close: (code, reason) => task.close({ code, reason, fail: ignore }),
  }
}

/** The runtime's `errMsg`, or a generic message when it gave none. */
function errorMessage(result: unknown): string {
  return String((result && (result as { errMsg?: unknown }).errMsg) || 'socket error')
}

/**
 * Listens for app show and hide and network-regained on a mini-program API object; the off*
 * functions are missing on old base libraries, so teardown skips what is not there.
 * @internal
 */
export function watchLifecycle(api: LifecycleApi, wake: () => void, visible?: (shown: boolean) => void): () => void {
  const onShow = () => {
    if (visible) visible(true)
    wake()
  }
  const onHide = () => visible && visible(false)
  const onNetwork = (result: { isConnected: boolean }) => {
    if (result && result.isConnected) wake()
  }
  if (api.onAppShow) api.onAppShow(onShow)
  if (api.onAppHide) api.onAppHide(onHide)
  if (api.onNetworkStatusChange) api.onNetworkStatusChange(onNetwork)
  return () => {
    if (api.offAppShow) api.offAppShow(onShow)
    if (api.offAppHide) api.offAppHide(onHide)
    if (api.offNetworkStatusChange) api.offNetworkStatusChange(onNetwork)
  }
}
