import type { Adapter, ConnectOptions } from './types'
import { syncStorage, taskConnection, watchLifecycle, type LifecycleApi, type SocketTaskLike } from './task'

/** A mini-program API object with `connectSocket` returning a SocketTask (wx, my, tt, qq, swan). */
export interface MiniProgramApi extends LifecycleApi {
  connectSocket(options: ConnectOptions & { url: string; complete?: () => void; multiple?: boolean }): SocketTaskLike
}

/** Adapter over a wx-style API object: `miniProgram(wx)`, `miniProgram(qq)`. */
export function miniProgram(api: MiniProgramApi): Adapter {
  return {
    // A callback is always passed: some runtimes return a SocketTask only when one is given.
    connect: (url, handlers, options) => taskConnection(api.connectSocket(Object.assign({}, options, { url, complete() {} })), handlers),
    watch: (wake, visible) => watchLifecycle(api, wake, visible),
    storage: syncStorage(api),
  }
}
