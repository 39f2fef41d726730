// A browser app with a bundler: the DOM's WebSocket class, no cast.
import { createSocket, web } from 'mp-socket'
import { createSocket as createWebSocket, ClosedError } from 'mp-socket/web'
import { createTestRuntime } from 'mp-socket/testing'

const socket = createSocket({ url: 'wss://ws.example.com/ws', runtime: web(WebSocket) })
const global = createWebSocket({ url: 'wss://ws.example.com/ws' }) // the global WebSocket
socket.onStatus((status, previous, error) => {
  if (error instanceof ClosedError) document.title = `${status} (${error.code})`
})
export const runtime = createTestRuntime({ flavour: 'uni', WebSocket })
export const sockets = [socket, global]
