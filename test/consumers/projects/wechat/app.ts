// app.ts of a native WeChat mini-program in TypeScript (wx typed by miniprogram-api-typings).
import { createSocket, type MpSocket } from 'mp-socket/wx'
import { miniProgram } from 'mp-socket'

export interface Pushes {
  order_update: { type: 'app'; event: 'order_update'; msg: string }
}

export interface IAppOption {
  socket?: MpSocket<Pushes>
}

App<IAppOption>({
  onLaunch() {
    this.socket = createSocket<Pushes>({
      url: 'wss://ws.example.com/ws',
      login: () => wx.getStorageSync<{ u: string; token: string } | ''>('socketLogin') || null,
    })
    this.socket.connectionLoop()
    // The same runtime as an adapter object, as `createSocket({ runtime: miniProgram(wx) })` takes it.
    const adapter = miniProgram(wx)
    if (!adapter.watch) throw new Error('unreachable: miniProgram adapters watch the app')
  },
})
