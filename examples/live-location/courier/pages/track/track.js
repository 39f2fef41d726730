// pages/track/track.js: while this page is open, every position change goes to the server, which
// publishes it on the channel the dispatch dashboard follows.
Page({
  data: { status: 'idle', sent: 0, lat: 0, lng: 0, error: '' },
  onLoad() {
    const socket = getApp().socket
    this.offStatus = socket.onStatus((status) => this.setData({ status }))
    this.setData({ status: socket.status })
    this.report = (location) => {
      this.setData({ lat: location.latitude, lng: location.longitude })
      // Requests made while offline wait in the queue (each within its 10 s timeout) and go out in
      // order once back online.
      socket.request('location', { lat: location.latitude, lng: location.longitude }).then(
        () => this.setData({ sent: this.data.sent + 1, error: '' }),
        // TimeoutError, ServerError (error.code, error.body), ClosedError, OfflineError
        (error) => this.setData({ error: error.message }),
      )
    }
    wx.startLocationUpdateBackground({
      success: () => wx.onLocationChange(this.report),
      // No permission: scope.userLocationBackground needs the user's "always" choice in settings.
      fail: (error) => this.setData({ error: error.errMsg }),
    })
  },
  onUnload() {
    wx.offLocationChange(this.report)
    wx.stopLocationUpdate()
    this.offStatus()
  },
})
