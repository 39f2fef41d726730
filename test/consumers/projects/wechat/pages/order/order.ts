import type { IAppOption } from '../../app'

Page({
  data: { order: '' },
  off: undefined as (() => void) | undefined,
  onLoad() {
    const socket = getApp<IAppOption>().socket
    if (socket) this.off = socket.on('order_update', (message) => this.setData({ order: message.msg }))
  },
  onUnload() {
    if (this.off) this.off()
  },
})
