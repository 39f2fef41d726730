// A page loading dist/mp-socket.global.js with a <script> tag: the `MpSocket` global.
/// <reference types="mp-socket/global" />
const pageSocket = MpSocket.createSocket({ url: 'wss://ws.example.com/ws' })
pageSocket.connectionLoop()
pageSocket.request('echo', 'hi').catch((error: unknown) => {
  if (error instanceof MpSocket.ServerError) console.log(error.code)
})
