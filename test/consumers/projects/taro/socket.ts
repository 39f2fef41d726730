// A Taro app's socket module (Taro typed by @tarojs/taro).
import Taro from '@tarojs/taro'
import { createSocket, taro, type Status } from 'mp-socket'

export const socket = createSocket({
  url: 'wss://ws.example.com/ws',
  runtime: taro(Taro),
  login: () => Taro.getStorageSync('socketLogin') || null,
})
socket.connectionLoop()
export const statusNow = (): Status => socket.status
