// app.js
const { createSocket } = require('mp-socket/wx') // after "Tools → Build npm"
const { socketUrl } = require('./config')

App({
  onLaunch() {
    this.socket = createSocket({
      url: socketUrl,
      // Called before every connect; nothing stored means nobody is logged in yet.
      login: () => wx.getStorageSync('socketLogin') || null,
    })
    this.socket.connectionLoop()
  },
})
