// Node 20: the `ws` package's WebSocket class, no cast, for the client and for the test runtime.
import { createSocket, web, type MpSocket } from 'mp-socket'
import { createTestRuntime } from 'mp-socket/testing'
import { WebSocket } from 'ws'

export const socket: MpSocket = createSocket({ url: 'ws://127.0.0.1:9502/ws', runtime: web(WebSocket) })
const runtime = createTestRuntime({ flavour: 'wx', WebSocket })
export const undo = runtime.install()
