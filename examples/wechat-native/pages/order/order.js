// pages/order/order.js
Page({
  data: { order: '', reply: '', error: '' },
  onLoad() {
    this.off = getApp().socket.on('order_update', (message) => this.setData({ order: message.msg }))
  },
  onUnload() {
    this.off()
  },
  ask() {
    getApp()
      .socket.request('echo', { text: 'hello from WeChat' })
      .then(
        (body) => this.setData({ reply: body.text, error: '' }),
        // TimeoutError, ServerError (error.code, error.body), ClosedError, OfflineError
        (error) => this.setData({ error: error.message }),
      )
  },
})
