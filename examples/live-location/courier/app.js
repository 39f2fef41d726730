// app.js: one socket for the whole mini-program, logged in as the courier.
const { createSocket } = require('mp-socket/wx') // after "Tools → Build npm"
const { socketUrl } = require('./config')

App({
  onLaunch() {
    this.socket = createSocket({
      url: socketUrl,
      // Your login API stores {u: 'courier:<id>', token} after the courier signs in.
      login: () => wx.getStorageSync('socketLogin') || null,
    })
    // Listed in the presence of `couriers` while connected: the dashboard shows this courier online.
    this.socket.subscribe('couriers')
    this.socket.connectionLoop()
  },
})
