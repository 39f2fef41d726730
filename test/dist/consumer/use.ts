// Compiled by the dist tests against the built package through its `exports` map, as a user's
// project would resolve it (self-reference by package name).
import { createSocket, ServerError, taro, web, type MpSocket } from 'mp-socket'
import { createSocket as createWxSocket } from 'mp-socket/wx'
import { createSocket as createUniSocket } from 'mp-socket/uni'
import { createSocket as createWebSocket } from 'mp-socket/web'
import { createTestRuntime } from 'mp-socket/testing'

interface Pushes {
  chat1: { msg: string }
}
const socket: MpSocket<Pushes> = createSocket<Pushes>({ url: 'wss://x', runtime: 'wx' })
socket.on('chat1', (message) => message.msg.toUpperCase())
const wxSocket = createWxSocket({ url: 'wss://x', login: () => ({ u: 'user:1', token: 't' }) })
const uniSocket = createUniSocket({ url: 'wss://x' })
const webSocket = createWebSocket({ url: 'wss://x' })
export const all = [socket, wxSocket, uniSocket, webSocket, ServerError, taro, web, createTestRuntime]
