import type { Adapter, ConnectOptions, Connection, ConnectionHandlers } from './types'
import { taskConnection, watchLifecycle, type LifecycleApi, type SocketTaskLike } from './task'

/** The part of Taro the adapter uses: pass the `Taro` object you import from `@tarojs/taro`. */
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
    watch: (wake) => watchLifecycle(Taro, wake),
  }
}
