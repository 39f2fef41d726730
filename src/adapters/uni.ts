import type { Adapter, ConnectOptions } from './types'
import { taskConnection, watchLifecycle, type LifecycleApi, type SocketTaskLike } from './task'

interface UniApi extends LifecycleApi {
  connectSocket(options: ConnectOptions & { url: string; complete: () => void }): SocketTaskLike
}
declare const uni: UniApi

/**
 * uni-app. Every API is called as a literal `uni.xxx(...)`: uni-app's H5 build rewrites those
 * calls into imports and leaves `window.uni` empty, so a dynamic lookup would find nothing.
 * `complete` is always passed, or `uni.connectSocket` returns a Promise instead of the task.
 */
export function uniAdapter(): Adapter {
  return {
    connect: (url, handlers, options) => taskConnection(uni.connectSocket(Object.assign({}, options, { url, complete() {} })), handlers),
    watch: (wake, visible) =>
      watchLifecycle(
        {
          onAppShow: (callback) => uni.onAppShow && uni.onAppShow(callback),
          offAppShow: (callback) => uni.offAppShow && uni.offAppShow(callback),
          onAppHide: (callback) => uni.onAppHide && uni.onAppHide(callback),
          offAppHide: (callback) => uni.offAppHide && uni.offAppHide(callback),
          onNetworkStatusChange: (callback) => uni.onNetworkStatusChange && uni.onNetworkStatusChange(callback),
          offNetworkStatusChange: (callback) => uni.offNetworkStatusChange && uni.offNetworkStatusChange(callback),
        },
        wake,
        visible,
      ),
    storage: { get: (key) => uni.getStorageSync!(key), set: (key, value) => uni.setStorageSync!(key, value) },
  }
}
