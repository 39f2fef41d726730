import { MpSocketError } from '../errors'
import type { Adapter, ConnectOptions, Connection, ConnectionHandlers } from './types'
import { syncStorage, taskConnection, watchLifecycle, type LifecycleApi, type SocketTaskLike } from './task'

/**
 * The part of Taro the adapter uses. In mini-program builds the `Taro` object has it all; in Taro 4's
 * H5 build its default export has neither `connectSocket` nor the app events (Taro's compiler turns
 * each `Taro.connectSocket` written in your code into an import instead), so pass the functions:
 * `taro({ connectSocket: Taro.connectSocket, onAppShow: Taro.onAppShow, ... })` works in both.
 */
export interface TaroApi extends LifecycleApi {
  connectSocket(options: ConnectOptions & { url: string; complete?: () => void }): Promise<SocketTaskLike>
}

interface BlobLike {
  arrayBuffer(): Promise<ArrayBuffer>
}

/**
 * Taro: `connectSocket` resolves to the task, its H5 build delivers binary as Blob and rejects
 * the promise that `send` returns on failure; all three are handled here.
 */
export function taro(Taro: TaroApi): Adapter {
  if (!Taro || typeof Taro.connectSocket !== 'function') {
    throw new MpSocketError(
      'taro(): no connectSocket on what was passed (Taro 4 H5 default export?): pass { connectSocket: Taro.connectSocket, onAppShow: Taro.onAppShow, ... }',
    )
  }
  return {
    connect(url, handlers, options) {
      let closeRequest: [number, string] | undefined
      let task: SocketTaskLike | undefined
      let connection: Connection | undefined
      // Binary frames arrive as Blobs, read asynchronously: chain deliveries to keep their order.
      let delivered = Promise.resolve()
      const ordered: ConnectionHandlers = {
        open: () => handlers.open(),
        message(data) {
          const blob = data as BlobLike | undefined
          const read = blob && typeof blob.arrayBuffer === 'function' ? blob.arrayBuffer() : data
          delivered = delivered.then(() => read).then(handlers.message, () => handlers.error('cannot read binary frame'))
        },
        close: (code, reason) => delivered.then(() => handlers.close(code, reason)),
        error: (message) => handlers.error(message),
      }
      Taro.connectSocket(Object.assign({}, options, { url, complete() {} })).then(
        (opened) => {
          task = opened
          connection = taskConnection(opened, ordered)
          if (closeRequest) connection.close(closeRequest[0], closeRequest[1])
        },
        (error) => handlers.error(String((error && error.errMsg) || error)),
      )
      return {
        send(data) {
          if (!task) return handlers.error('send before open')
          const sent = task.send({ data, fail() {} }) as Promise<unknown> | undefined
          if (sent && typeof sent.then === 'function') sent.then(undefined, () => handlers.error('send failed'))
        },
        close(code, reason) {
          if (connection) connection.close(code, reason)
          else closeRequest = [code, reason]
        },
      }
    },
    watch: (wake, visible) => watchLifecycle(Taro, wake, visible),
    storage: syncStorage(Taro),
  }
}
